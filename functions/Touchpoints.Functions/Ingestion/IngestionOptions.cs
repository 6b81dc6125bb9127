using System.ComponentModel.DataAnnotations;
using Touchpoints.Core.Views;

namespace Touchpoints.Functions.Ingestion;

/// <summary>
/// Settings <c>Ingestion__*</c>. <c>Ingestion__DedupWindow</c> (default 7 days): how long an applied event's id is remembered
/// per customer, so that a replay or a producer's resend is not counted twice. Keep it at least the Event Hubs retention.
/// </summary>
public sealed class IngestionOptions
{
    public const string Section = "Ingestion";

    [Range(typeof(TimeSpan), "01:00:00", "90.00:00:00", ErrorMessage = "Ingestion:DedupWindow must be between 1 hour and 90 days.")]
    public TimeSpan DedupWindow { get; set; } = AppliedEvents.DefaultWindow;
}
