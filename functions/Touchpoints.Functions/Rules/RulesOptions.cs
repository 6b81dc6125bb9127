using System.ComponentModel.DataAnnotations;

namespace Touchpoints.Functions.Rules;

/// <summary>Settings <c>Rules__*</c>.</summary>
public sealed class RulesOptions
{
    public const string Section = "Rules";

    /// <summary>How long an instance keeps the active rules before it looks for a newer version (a new version is used within this).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long decisions of a new profile wait (processing time since its first evaluation), so that a profile merged away
    /// moments later — an anonymous visitor who identifies, a webhook racing the web events — never gets messages of its
    /// own: the survivor decides them, knowing the whole customer. Zero: decide at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan SettleWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Create the communication queues at start (locally); in Azure the infrastructure owns them.</summary>
    public bool CreateQueues { get; set; }
}
