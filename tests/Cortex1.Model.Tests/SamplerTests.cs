using Cortex1.Model.Generation;

namespace Cortex1.Model.Tests;

/// <summary>The sampler's kept set (temperature, top-k, top-p) against the definition: sort everything, cut the prefix.</summary>
public class SamplerTests
{
    /// <summary>The definition, written plainly: rank by logit (ties to the lower id), keep top-k, then the smallest prefix reaching top-p.</summary>
    static int[] Reference(float[] l, SamplingOptions o)
    {
        var best = l.Max();
        var ranked = Enumerable.Range(0, l.Length).Where(i => l[i] >= best - 30f * o.Temperature)
            .OrderByDescending(i => l[i]).ThenBy(i => i).ToList();
        if (o.TopK > 0) ranked = ranked.Take(o.TopK).ToList();
        if (o.TopP < 1f)
        {
            var w = ranked.Select(i => Math.Exp((l[i] - best) / o.Temperature)).ToList();
            double total = w.Sum(), acc = 0;
            var keep = ranked.Count;
            for (var i = 0; i < ranked.Count; i++)
            {
                acc += w[i];
                if (acc >= o.TopP * total) { keep = i + 1; break; }
            }
            ranked = ranked.Take(keep).ToList();
        }
        return [.. ranked.Order()];
    }

    public static TheoryData<string, float, int, float> Cases => new()
    {
        { "flat", 1.0f, 0, 0.95f },   // a random model's distribution: most of the vocabulary is kept
        { "flat", 0.7f, 50, 1f },
        { "flat", 1.3f, 200, 0.5f },
        { "peaked", 0.8f, 0, 0.9f },  // a trained model's: a handful of tokens carry the mass
        { "peaked", 0.5f, 5, 0.99f },
        { "ties", 1.0f, 7, 0.6f },    // many exactly equal logits: ties must break to the lower id
        { "ties", 1.0f, 0, 0.3f },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_kept_set_is_the_definitions(string shape, float temperature, int topK, float topP)
    {
        var options = new SamplingOptions(Temperature: temperature, TopK: topK, TopP: topP);
        for (var seed = 0; seed < 20; seed++)
        {
            var rnd = new Random(seed);
            var l = Enumerable.Range(0, 5000).Select(_ => shape switch
            {
                "flat" => (float)rnd.NextDouble() * 2,
                "peaked" => (float)(rnd.NextDouble() < 0.002 ? 10 + rnd.NextDouble() * 5 : rnd.NextDouble() * 3),
                _ => (float)rnd.Next(4),
            }).ToArray();
            var (ids, weights) = new Sampler(options).Kept(l);
            Assert.Equal(Reference(l, options), ids);
            Assert.Equal(ids.Select(i => Math.Exp((l[i] - l.Max()) / temperature)), weights);
        }
    }

    [Fact]
    public void A_NaN_logit_is_never_drawn_and_does_not_poison_the_others()
    {
        float[] l = [1f, float.NaN, 1.5f, 0.5f];
        var sampler = new Sampler(new SamplingOptions(Temperature: 1f, Seed: 3));
        var draws = Enumerable.Range(0, 2000).Select(_ => sampler.Sample(l, [])).ToList();
        Assert.DoesNotContain(1, draws);
        Assert.Equal([0, 2, 3], draws.Distinct().Order());   // the draw still spreads over the finite logits
    }

    [Fact]
    public void A_seeded_draw_follows_the_kept_probabilities()
    {
        // Three tokens kept by top-p with weights e^2 : e^1 : e^0 at T = 1; the fourth is cut. 20k seeded draws.
        float[] l = [2f, 1f, 0f, -5f];
        var sampler = new Sampler(new SamplingOptions(Temperature: 1f, TopP: 0.99f, Seed: 7));
        var draws = Enumerable.Range(0, 20_000).Select(_ => sampler.Sample(l, [])).ToList();
        var z = Math.Exp(2) + Math.Exp(1) + 1;
        Assert.InRange(draws.Count(d => d == 0) / 20_000.0, Math.Exp(2) / z - 0.015, Math.Exp(2) / z + 0.015);
        Assert.InRange(draws.Count(d => d == 2) / 20_000.0, 1 / z - 0.015, 1 / z + 0.015);
    }
}
