using Cortex1.Data.Rewards;
using Cortex1.Rewards;
using Microsoft.Extensions.Configuration;

namespace Cortex1.Data.Tests;

public class RewardConfigurationTests
{
    private static IConfiguration Config(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    [Fact]
    public void Weights_bind_from_the_rewards_section_and_missing_keys_keep_their_defaults()
    {
        var w = RewardConfiguration.Weights(Config(new() { ["Rewards:Weights:Structure"] = "2", ["Rewards:Weights:CitationFormat"] = "0" }));
        Assert.Equal(2, w.Structure);
        Assert.Equal(0, w.CitationFormat);
        Assert.Equal(new RewardWeights().CalculationAccuracy, w.CalculationAccuracy);
        Assert.Equal(new RewardWeights(), RewardConfiguration.Weights(Config(new())));
        Assert.Equal(2, RewardConfiguration.System(Config(new() { ["Rewards:Weights:Structure"] = "2" })).Weights.Structure);
    }

    [Fact]
    public void An_invalid_configured_weight_is_a_clear_error()
    {
        var e = Assert.Throws<ArgumentException>(() => RewardConfiguration.Weights(Config(new() { ["Rewards:Weights:Structure"] = "-1" })));
        Assert.Contains("Rewards:Weights", e.Message);
    }
}
