using Cortex1.Rewards;
using Microsoft.Extensions.Configuration;

namespace Cortex1.Data.Rewards;

/// <summary>
/// Binds the composite weights from configuration (<c>Rewards:Weights</c>, e.g. <c>Rewards__Weights__CalculationAccuracy=0.3</c>).
/// It lives here, not in the Rewards project, so the scoring code stays free of configuration packages; Synth (which
/// gates data sets) and the Trainer (whose GRPO optimises the reward) bind through this one place, so both use the same.
/// </summary>
public static class RewardConfiguration
{
    public const string SectionName = "Rewards:Weights";

    /// <summary>The configured weights; missing keys keep their defaults; invalid weights throw <see cref="ArgumentException"/>.</summary>
    public static RewardWeights Weights(IConfiguration configuration) =>
        (configuration.GetSection(SectionName).Get<RewardWeights>() ?? new RewardWeights()).Validated();

    /// <summary>The reward system with this app's configured weights.</summary>
    public static RewardSystem System(IConfiguration configuration) => new(Weights(configuration));
}
