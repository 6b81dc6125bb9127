using Touchpoints.Core.Identity;

namespace Touchpoints.Functions.Rules;

/// <summary>
/// What the rules ask of the owner of customer views when a customer's scores aged across a segment boundary
/// (<see cref="Touchpoints.Core.Rules.Ageing"/>): score the view again now and, if its segments changed, write it and announce
/// the change (its causes name the segments left and entered). Ingestion implements it: it alone writes views and their
/// history, and the rules must not depend on it.
/// </summary>
public interface IRescoring
{
    /// <summary>True when the view was rewritten; false when there was nothing to change (or no such live customer).</summary>
    Task<bool> RescoreAsync(CustomerId customerId, CancellationToken ct);
}
