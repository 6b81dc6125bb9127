using System.Buffers;
using System.Collections.Frozen;
using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Touchpoints.Core.Events;

/// <summary>The members of a Segment Spec message the parser uses (https://segment.com/docs/connections/spec/common/).</summary>
internal sealed class SegmentMessage
{
    public string? Scope;
    public string? Type;
    public string? MessageId;
    public string? AnonymousId;
    public string? UserId;
    public string? PreviousId;
    public string? GroupId;
    public string? Event;
    public string? Name;
    public SegmentBag? Properties;
    public SegmentBag? Traits;
    public SegmentContext? Context;
    public DateTimeOffset? Timestamp;
    public DateTimeOffset? OriginalTimestamp;
    public DateTimeOffset? SentAt;
    public DateTimeOffset? ReceivedAt;
}

internal sealed class SegmentContext
{
    public SegmentBag? Page;
    public SegmentBag? Campaign;
    public SegmentBag? Traits;
    public string? UserAgent;
    public string? Ip;
    public string? Locale;
    public string? Timezone;
}

/// <summary>A member of a property bag (properties, traits, context.page …) the parser reads; the rest are only checked.</summary>
internal enum BagMember
{
    Path, Url, Title, Referrer, Search, Name, FirstName, FirstNameSnake, LastName, LastNameSnake, Email, Phone, Company, Timezone,
    ProductId, ProductIdSnake, Price, Quantity, CartId, CartIdSnake, OrderId, OrderIdSnake, Total, Revenue, Value, Currency,
    Products, Query, Source, Medium, Term, Content,
}

/// <summary>One value of a bag member, kept as the loose readers need it: SDKs send numbers and strings alike.</summary>
/// <param name="Text">A string's value, or a number's text as written.</param>
/// <param name="Number">A number's value, or null when it is no number or too large for a decimal.</param>
/// <param name="Length">An array's length.</param>
/// <param name="ObjectName">An object's own <c>name</c> (Segment's <c>company</c> trait).</param>
internal readonly record struct BagValue(JsonTokenType Kind, string? Text, decimal? Number, int Length, string? ObjectName);

/// <summary>
/// The members of a bag the parser reads, found in one pass (Segment's <c>properties</c> and <c>traits</c>, matched by exact
/// name as before: they are free-form objects). Small: an event names a handful of them.
/// </summary>
internal sealed class SegmentBag
{
    private readonly List<(BagMember Member, BagValue Value)> members = [];

    internal void Add(BagMember member, BagValue value) => members.Add((member, value));

    public bool TryGet(BagMember member, out BagValue value)
    {
        foreach (var (m, v) in members)
            if (m == member) { value = v; return true; }
        value = default;
        return false;
    }

    /// <summary>A string, or a number as written; empty strings are absent.</summary>
    public string? String(BagMember member) => TryGet(member, out var v) ? v.Kind switch
    {
        JsonTokenType.String => v.Text is { Length: > 0 } ? v.Text : null,
        JsonTokenType.Number => v.Text,
        _ => null,
    } : null;

    public decimal? Decimal(BagMember member) => TryGet(member, out var v) ? v.Kind switch
    {
        JsonTokenType.Number => v.Number,
        JsonTokenType.String when decimal.TryParse(v.Text, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    } : null;

    public int? Int(BagMember member) => Decimal(member) is { } d && d >= int.MinValue && d <= int.MaxValue ? (int)d : null;

    public int? Count(BagMember member) => TryGet(member, out var v) && v.Kind == JsonTokenType.StartArray ? v.Length : null;

    /// <summary>A number too large for a decimal: to be refused, not read as absent.</summary>
    public bool IsNumberOutOfRange(BagMember member) => TryGet(member, out var v) && v.Kind == JsonTokenType.Number && v.Number is null;
}

/// <summary>
/// Reads a Segment message in one pass over its UTF-8 JSON with <see cref="Utf8JsonReader"/>: the members the parser uses are
/// read where they stand, property bags keep only the members the view reads, times are parsed from the UTF-8 bytes.
/// As lenient as producers are (comments, trailing commas, member names of the message in any case) and as strict as the
/// doors are: a duplicate member name anywhere in the message, at any depth, is malformed JSON, never resolved by taking one.
/// </summary>
internal ref struct SegmentReader
{
    private static readonly JsonReaderOptions Options = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    private enum Top { Scope, Type, MessageId, AnonymousId, UserId, PreviousId, GroupId, Event, Name, Properties, Traits, Context, Timestamp, OriginalTimestamp, SentAt, ReceivedAt }

    private enum InContext { Page, Campaign, Traits, UserAgent, Ip, Locale, Timezone }

    // The message's and its context's members are matched ignoring case, as System.Text.Json's web defaults did.
    private static readonly FrozenDictionary<string, Top>.AlternateLookup<ReadOnlySpan<char>> TopMembers = new Dictionary<string, Top>
    {
        [IngestedEvent.ScopeMember] = Top.Scope, ["type"] = Top.Type, ["messageId"] = Top.MessageId, ["anonymousId"] = Top.AnonymousId,
        ["userId"] = Top.UserId, ["previousId"] = Top.PreviousId, ["groupId"] = Top.GroupId, ["event"] = Top.Event, ["name"] = Top.Name,
        ["properties"] = Top.Properties, ["traits"] = Top.Traits, ["context"] = Top.Context, ["timestamp"] = Top.Timestamp,
        ["originalTimestamp"] = Top.OriginalTimestamp, ["sentAt"] = Top.SentAt, ["receivedAt"] = Top.ReceivedAt,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase).GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly FrozenDictionary<string, InContext>.AlternateLookup<ReadOnlySpan<char>> ContextMembers = new Dictionary<string, InContext>
    {
        ["page"] = InContext.Page, ["campaign"] = InContext.Campaign, ["traits"] = InContext.Traits, ["userAgent"] = InContext.UserAgent,
        ["ip"] = InContext.Ip, ["locale"] = InContext.Locale, ["timezone"] = InContext.Timezone,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase).GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly FrozenDictionary<string, BagMember>.AlternateLookup<ReadOnlySpan<char>> BagMembers = new Dictionary<string, BagMember>
    {
        ["path"] = BagMember.Path, ["url"] = BagMember.Url, ["title"] = BagMember.Title, ["referrer"] = BagMember.Referrer,
        ["search"] = BagMember.Search, ["name"] = BagMember.Name, ["firstName"] = BagMember.FirstName, ["first_name"] = BagMember.FirstNameSnake,
        ["lastName"] = BagMember.LastName, ["last_name"] = BagMember.LastNameSnake, ["email"] = BagMember.Email, ["phone"] = BagMember.Phone,
        ["company"] = BagMember.Company, ["timezone"] = BagMember.Timezone, ["productId"] = BagMember.ProductId,
        ["product_id"] = BagMember.ProductIdSnake, ["price"] = BagMember.Price, ["quantity"] = BagMember.Quantity, ["cartId"] = BagMember.CartId,
        ["cart_id"] = BagMember.CartIdSnake, ["orderId"] = BagMember.OrderId, ["order_id"] = BagMember.OrderIdSnake, ["total"] = BagMember.Total,
        ["revenue"] = BagMember.Revenue, ["value"] = BagMember.Value, ["currency"] = BagMember.Currency, ["products"] = BagMember.Products,
        ["query"] = BagMember.Query, ["source"] = BagMember.Source, ["medium"] = BagMember.Medium, ["term"] = BagMember.Term,
        ["content"] = BagMember.Content,
    }.ToFrozenDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Longer member names are none the parser reads; they are still checked for duplicates.</summary>
    private const int LongestName = 32;

    private Utf8JsonReader reader;
    private readonly Scratch scratch;
    private string path;

    private SegmentReader(ReadOnlySpan<byte> utf8, Scratch scratch)
    {
        reader = new Utf8JsonReader(utf8, Options);
        this.scratch = scratch;
        path = "$";
    }

    /// <summary>Reads <paramref name="body"/>; null with the reason (its JSON path) when it is malformed or of wrong types.</summary>
    public static SegmentMessage? Read(string body, out ValidationError? error)
    {
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(body.Length));
        var scratch = Reused ??= new Scratch();
        scratch.Clear();
        try
        {
            var length = Encoding.UTF8.GetBytes(body, rented);
            var reader = new SegmentReader(rented.AsSpan(0, length), scratch);
            return reader.ReadMessage(out error);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// What one read needs beside the reader, reused by the thread's next message: the member names of every open object
    /// (a run per object in <see cref="Names"/>, each keyed by its run's start in <see cref="Seen"/>, so a duplicate is found
    /// in constant time however many members a hostile object has), and the buffer a name is unescaped into.
    /// </summary>
    private sealed class Scratch
    {
        public readonly List<ulong> Names = new(64);
        public readonly HashSet<ulong> Seen = new(64);
        public readonly char[] Name = new char[LongestName];

        public void Clear()
        {
            Names.Clear();
            Seen.Clear();
        }
    }

    [ThreadStatic] private static Scratch? Reused;

    private SegmentMessage? ReadMessage(out ValidationError? error)
    {
        error = null;
        try
        {
            if (!reader.Read()) throw new JsonException("the body holds no JSON value");
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                Trailing();
                error = new ValidationError("$", "the body is not a JSON object");
                return null;
            }
            var message = new SegmentMessage();
            var start = Open();
            var seen = 0;
            while (Next(start, out var span))
            {
                path = "$." + Name(span);
                if (!Lookup(span, TopMembers, out var member)) { Check(); continue; }
                Once(ref seen, (int)member, span);
                switch (member)
                {
                    case Top.Scope: message.Scope = String(); break;
                    case Top.Type: message.Type = String(); break;
                    case Top.Event: message.Event = String(); break;
                    case Top.Name: message.Name = String(); break;
                    case Top.MessageId: message.MessageId = StringOrNumber(); break;
                    case Top.AnonymousId: message.AnonymousId = StringOrNumber(); break;
                    case Top.UserId: message.UserId = StringOrNumber(); break;
                    case Top.PreviousId: message.PreviousId = StringOrNumber(); break;
                    case Top.GroupId: message.GroupId = StringOrNumber(); break;
                    case Top.Properties: message.Properties = Bag(); break;
                    case Top.Traits: message.Traits = Bag(); break;
                    case Top.Context: message.Context = Context(); break;
                    case Top.Timestamp: message.Timestamp = Time(); break;
                    case Top.OriginalTimestamp: message.OriginalTimestamp = Time(); break;
                    case Top.SentAt: message.SentAt = Time(); break;
                    case Top.ReceivedAt: message.ReceivedAt = Time(); break;
                }
            }
            path = "$";
            Trailing();
            return message;
        }
        catch (JsonException ex)
        {
            error = new ValidationError(path, "malformed JSON: " + FirstSentence(ex.Message));
            return null;
        }
    }

    // The reader itself refuses a second value; comments after the value are skipped.
    private void Trailing() => reader.Read();

    /// <summary>
    /// The message's own members are matched ignoring case, so <c>userId</c> and <c>UserID</c> are one member given twice:
    /// a duplicate, as an exact repeat is.
    /// </summary>
    private static void Once(ref int seen, int member, ReadOnlySpan<char> name)
    {
        if ((seen & (1 << member)) != 0) throw new JsonException($"duplicate member name '{Clip(name)}' (names of the message's members ignore case). ");
        seen |= 1 << member;
    }

    private SegmentContext? Context()
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException($"expected an object, found {reader.TokenType}. ");
        var context = new SegmentContext();
        var outer = path;
        var start = Open();
        var seen = 0;
        while (Next(start, out var span))
        {
            path = outer + "." + Name(span);
            if (!Lookup(span, ContextMembers, out var member)) { Check(); continue; }
            Once(ref seen, (int)member, span);
            switch (member)
            {
                case InContext.Page: context.Page = Bag(); break;
                case InContext.Campaign: context.Campaign = Bag(); break;
                case InContext.Traits: context.Traits = Bag(); break;
                case InContext.UserAgent: context.UserAgent = String(); break;
                case InContext.Ip: context.Ip = String(); break;
                case InContext.Locale: context.Locale = String(); break;
                case InContext.Timezone: context.Timezone = String(); break;
            }
        }
        path = outer;
        return context;
    }

    private SegmentBag? Bag()
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException($"expected an object, found {reader.TokenType}. ");
        var bag = new SegmentBag();
        var start = Open();
        while (Next(start, out var span))
        {
            if (!Lookup(span, BagMembers, out var member)) { Check(); continue; }
            reader.Read();
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    bag.Add(member, new BagValue(JsonTokenType.String, reader.GetString(), null, 0, null));
                    break;
                case JsonTokenType.Number:
                    bag.Add(member, new BagValue(JsonTokenType.Number, Encoding.UTF8.GetString(reader.ValueSpan),
                        reader.TryGetDecimal(out var d) ? d : null, 0, null));
                    break;
                case JsonTokenType.StartArray:
                    bag.Add(member, new BagValue(JsonTokenType.StartArray, null, null, CheckArray(), null));
                    break;
                case JsonTokenType.StartObject:
                    bag.Add(member, new BagValue(JsonTokenType.StartObject, null, null, 0, member == BagMember.Company ? CheckObject(named: true) : CheckObject(named: false)));
                    break;
                default:
                    bag.Add(member, new BagValue(reader.TokenType, null, null, 0, null));
                    break;
            }
        }
        return bag;
    }

    /// <summary>Skips the next value, checking its objects for duplicate names.</summary>
    private void Check()
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.StartObject) CheckObject(named: false);
        else if (reader.TokenType == JsonTokenType.StartArray) CheckArray();
    }

    /// <summary>At an object's start: reads it to its end; its own string or number <c>name</c> when asked for.</summary>
    private string? CheckObject(bool named)
    {
        string? name = null;
        var start = Open();
        while (Next(start, out var span))
        {
            if (named && span.SequenceEqual("name"))
            {
                reader.Read();
                name = reader.TokenType switch
                {
                    JsonTokenType.String => reader.GetString() is { Length: > 0 } s ? s : null,
                    JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
                    _ => null,
                };
                if (reader.TokenType is JsonTokenType.StartObject) CheckObject(named: false);
                else if (reader.TokenType is JsonTokenType.StartArray) CheckArray();
                continue;
            }
            Check();
        }
        return name;
    }

    /// <summary>At an array's start: reads it to its end and counts its items.</summary>
    private int CheckArray()
    {
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            count++;
            if (reader.TokenType == JsonTokenType.StartObject) CheckObject(named: false);
            else if (reader.TokenType == JsonTokenType.StartArray) CheckArray();
        }
        return count;
    }

    /// <summary>Opens an object's run of member-name hashes.</summary>
    private readonly int Open() => scratch.Names.Count;

    /// <summary>
    /// Moves to the object's next member name, unescaped into <paramref name="name"/> (empty when longer than any name the
    /// parser reads); false at the object's end. A name met before in the same object is malformed JSON.
    /// </summary>
    private bool Next(int start, out ReadOnlySpan<char> name)
    {
        var names = scratch.Names;
        if (!reader.Read() || reader.TokenType == JsonTokenType.EndObject)
        {
            for (var i = start; i < names.Count; i++) scratch.Seen.Remove(Keyed(names[i], start));
            names.RemoveRange(start, names.Count - start);
            name = default;
            return false;
        }
        ulong hash;
        if (reader.ValueIsEscaped || reader.ValueSpan.Length > LongestName)
        {
            var text = reader.GetString()!;
            hash = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(text.AsSpan()));
            name = text.Length <= LongestName ? text : default;
        }
        else
        {
            var written = Encoding.UTF8.GetChars(reader.ValueSpan, scratch.Name);
            name = scratch.Name.AsSpan(0, written);
            hash = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(name));
        }
        if (!scratch.Seen.Add(Keyed(hash, start))) throw new JsonException($"duplicate member name '{Clip(name)}'. Member names must be unique.");
        names.Add(hash);
        return true;
    }

    // A name's hash within its object: the object's run start tells two open objects' members apart.
    private static ulong Keyed(ulong hash, int start) => hash ^ ((ulong)start * 0x9E3779B97F4A7C15UL);

    private static string Clip(ReadOnlySpan<char> name) => name.Length <= LongestName ? name.ToString() : name[..LongestName].ToString() + "…";

    private static string Name(ReadOnlySpan<char> name) => name.Length == 0 ? "…" : name.ToString();

    private static bool Lookup<T>(ReadOnlySpan<char> name, FrozenDictionary<string, T>.AlternateLookup<ReadOnlySpan<char>> members, out T member) =>
        members.TryGetValue(name, out member!);

    private string? String()
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Null => null,
            _ => throw new JsonException($"expected a string, found {reader.TokenType}. "),
        };
    }

    // Ids that SDKs send as numbers as often as strings ("userId": 42).
    private string? StringOrNumber()
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
            JsonTokenType.Null => null,
            _ => throw new JsonException($"expected a string or a number, found {reader.TokenType}. "),
        };
    }

    private DateTimeOffset? Time()
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.String) throw new JsonException($"expected an ISO 8601 time, found {reader.TokenType}. ");
        if (!reader.ValueIsEscaped && Utf8Time.TryParse(reader.ValueSpan, out var at)) return at;
        return UtcTimestampConverter.Parse(reader.GetString()!);
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message.TrimEnd('.', ' ') : message[..end];
    }
}

/// <summary>
/// The times producers send, read straight from UTF-8: <c>yyyy-MM-ddTHH:mm:ss</c>, up to seven fraction digits, then <c>Z</c>,
/// an offset <c>±HH:mm</c> or nothing (UTC). Anything else is left to the general parser, which reads the same
/// values the same way (<see cref="UtcTimestampConverter.Parse"/>), so this is only the fast path.
/// </summary>
internal static class Utf8Time
{
    public static bool TryParse(ReadOnlySpan<byte> text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length < 19 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':') return false;
        if (!Digits(text[..4], out var year) || !Digits(text.Slice(5, 2), out var month) || !Digits(text.Slice(8, 2), out var day)
            || !Digits(text.Slice(11, 2), out var hour) || !Digits(text.Slice(14, 2), out var minute) || !Digits(text.Slice(17, 2), out var second))
            return false;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return false;
        var i = 19;
        long fraction = 0;
        if (i < text.Length && text[i] == '.')
        {
            var digits = 0;
            for (i++; i < text.Length && text[i] is >= (byte)'0' and <= (byte)'9'; i++, digits++)
            {
                if (digits == 7) return false;
                fraction = fraction * 10 + (text[i] - '0');
            }
            if (digits == 0) return false;
            for (; digits < 7; digits++) fraction *= 10;
        }
        var offset = TimeSpan.Zero;
        if (i < text.Length)
        {
            if (text[i] == 'Z') i++;
            else if (text[i] is (byte)'+' or (byte)'-' && text.Length - i == 6 && text[i + 3] == ':'
                && Digits(text.Slice(i + 1, 2), out var oh) && Digits(text.Slice(i + 4, 2), out var om) && oh <= 14 && om <= 59)
            {
                offset = new TimeSpan(oh, om, 0);
                if (offset > TimeSpan.FromHours(14)) return false;
                if (text[i] == '-') offset = -offset;
                i += 6;
            }
            else return false;
        }
        if (i != text.Length) return false;
        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(fraction);
        var utcTicks = local.Ticks - offset.Ticks;
        if (utcTicks < DateTimeOffset.MinValue.UtcTicks || utcTicks > DateTimeOffset.MaxValue.UtcTicks) return false;
        value = new DateTimeOffset(local, offset);
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        foreach (var b in text)
        {
            if (b is < (byte)'0' or > (byte)'9') return false;
            value = value * 10 + (b - '0');
        }
        return true;
    }
}
