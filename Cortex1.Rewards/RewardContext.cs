using Cortex1.Domain;

namespace Cortex1.Rewards;

/// <summary>
/// What a completion is scored against: the market data its prompt was built from (so every
/// number can be recomputed) and the kind of task it answers (which decides the required sections).
/// </summary>
public sealed record RewardContext(MarketContext Market, TaskKind Kind);
