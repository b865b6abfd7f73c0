using Cortex1.Model.Diagnostics;
using Cortex1.Model.Modeling;
using static TorchSharp.torch;

namespace Cortex1.Model.Tests;

/// <summary>
/// The engine never leaves a TorchSharp Scalar to the garbage collector while libtorch reads it (a race that failed a
/// batched decode step in CI with "Unknown scalar type"-style errors).
/// </summary>
public class ScalarLifetimeTests
{
    [Fact]
    public void The_audit_finds_a_Scalar_left_to_the_collector()
    {
        // The audit must see both kinds: a number turned into a Scalar at the call site, and TorchSharp's hidden alpha.
        var found = ScalarAudit.Find(typeof(ScalarLifetimeTests).Assembly);
        Assert.Contains(found, f => f.Contains(nameof(Unsafe_number)));
        Assert.Contains(found, f => f.Contains(nameof(Unsafe_tensor_sum)));
        Assert.DoesNotContain(found, f => f.Contains(nameof(Safe_sum)));
    }

    [Fact]
    public void The_engine_leaves_no_Scalar_to_the_collector()
    {
        var found = ScalarAudit.Find(typeof(LanguageModel).Assembly, typeof(Scalars));
        Assert.True(found.Count == 0, "GC-owned Scalars in Cortex1.Model:\n" + string.Join("\n", found));
    }

    [Fact]
    public void The_safe_ops_compute_what_the_operators_do()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new[] { 1f, -2f, 3f });
        var b = tensor(new[] { 0.5f, 0.5f, -1f });
        Assert.Equal(new[] { 1.5f, -1.5f, 2f }, a.Plus(b).data<float>().ToArray());
        Assert.Equal(new[] { 1.25f, -1.75f, 3.25f }, a.Plus(0.25).data<float>().ToArray());
        Assert.Equal(new[] { 2f, -4f, 6f }, a.Times(2).data<float>().ToArray());
        Assert.Equal(new[] { 0.5f, -1f, 1.5f }, a.DividedBy(2).data<float>().ToArray());
        Assert.Equal(new[] { 1f, 4f, 9f }, a.Power(2).data<float>().ToArray());
        Assert.Equal(new[] { 1f, 0f, 3f }, a.AtLeast(0).data<float>().ToArray());
        Assert.Equal(new[] { 1f, -1f, 1f }, a.ClampTo(-1, 1).data<float>().ToArray());
        Assert.Equal(new[] { 1f, 9f, 3f }, a.Fill(a.Below(0), 9).data<float>().ToArray());
        Assert.Equal(new[] { false, false, true }, a.Above(2).data<bool>().ToArray());
        Assert.Equal(new long[] { 3, 4, 5 }, Scalars.Range(3, 6).data<long>().ToArray());
        Assert.Equal(new[] { 1.5f, -2f, 3f }, a.IndexPlus(0, tensor(new long[] { 0 }), tensor(new[] { 0.5f })).data<float>().ToArray());
        var inPlace = a.clone();
        inPlace.PlusInPlace(b);
        Assert.Equal(new[] { 1.5f, -1.5f, 2f }, inPlace.data<float>().ToArray());
    }

    // Samples for the audit (never run).
    static Tensor Unsafe_number(Tensor x) => x + 1e-6;
    static Tensor Unsafe_tensor_sum(Tensor x, Tensor y) => x + y;
    static Tensor Safe_sum(Tensor x, Tensor y) => x.Plus(y);
}

/// <summary>
/// The race itself: decode while another thread collects garbage and runs finalizers without pause. With Scalars
/// left to the collector this fails within seconds ("Unknown scalar type", wrong logits); held, every step is exact.
/// </summary>
public class DecodingUnderGarbageCollectionTests
{
    [Fact]
    public void Batched_decoding_under_constant_garbage_collection_gives_the_same_logits_every_time()
    {
        using var model = TinyModels.Load("qwen2");
        int[] prompt = [1, 5, 9, 14, 3, 27, 8];
        float[][] Decode()
        {
            using var a = model.NewCache();
            using var b = model.NewCache();
            model.Prefill(a, prompt);
            model.Prefill(b, prompt[..4]);
            var last = Array.Empty<float[]>();
            for (var step = 0; step < 24; step++) last = model.DecodeStep([a, b], [step % 50, (step * 7) % 50]);
            return last;
        }
        var expected = Decode();

        var stop = false;
        var collector = new Thread(() => { while (!Volatile.Read(ref stop)) { GC.Collect(); GC.WaitForPendingFinalizers(); } });
        collector.Start();
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(6);
            var runs = 0;
            while (DateTime.UtcNow < deadline || runs < 3)
            {
                var got = Decode();
                Assert.Equal(expected[0], got[0]);
                Assert.Equal(expected[1], got[1]);
                runs++;
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            collector.Join();
        }
    }
}
