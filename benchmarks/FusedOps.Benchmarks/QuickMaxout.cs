using System;
using System.Linq;

namespace FusedOps.Benchmarks;

// Each fused Maxout against the same layers with the Maxout in its own passes (an Identity in the group keeps them in training,
// a Dropout(0) between the groups in inference), in one process: the last Maxout fusions of issue 7.
#pragma warning disable FOPS0013 // the BatchNorm cases train with 256 samples
#pragma warning disable FOPS0015 // intended: a 1×1 conv with 1024 output channels

/// <summary>Linear(32 → 1024) → BatchNorm → Maxout(4): the Maxout in the normalise and reduction passes.</summary>
[FusedPipeline(32)]
[Linear(1024, Bias = false)]
[BatchNorm]
[Maxout(4)]
public partial class MaxoutLinearBn
{
}

/// <summary>As <see cref="MaxoutLinearBn"/>, the Maxout in its own passes.</summary>
[FusedPipeline(32)]
[Linear(1024, Bias = false)]
[BatchNorm]
[Identity]
[Maxout(4)]
public partial class MaxoutLinearBnOwn
{
}

/// <summary>A 1×1 conv on 16 × 1 × 1 to 1024 channels → BatchNorm → Maxout(4): the Maxout in the normalise and reduction passes.</summary>
[FusedPipeline(16, 1, 1)]
[Conv2d(1024, 1, Bias = false)]
[BatchNorm]
[Maxout(4)]
public partial class MaxoutConv1x1Bn
{
}

/// <summary>As <see cref="MaxoutConv1x1Bn"/>, the Maxout in its own passes.</summary>
[FusedPipeline(16, 1, 1)]
[Conv2d(1024, 1, Bias = false)]
[BatchNorm]
[Identity]
[Maxout(4)]
public partial class MaxoutConv1x1BnOwn
{
}

/// <summary>Linear(784 → 384) → Maxout(3): the Maxout in the GEMM's epilogue (blocked order), training and inference.</summary>
[FusedPipeline(784)]
[Linear(384)]
[Maxout(3)]
public partial class MaxoutLinear3
{
}

/// <summary>As <see cref="MaxoutLinear3"/>, training keeping the Maxout's passes.</summary>
[FusedPipeline(784)]
[Linear(384)]
[Identity]
[Maxout(3)]
public partial class MaxoutLinear3OwnTraining
{
}

/// <summary>As <see cref="MaxoutLinear3"/>, inference keeping the Maxout's pass (the Dropout between the groups makes no pass).</summary>
[FusedPipeline(784)]
[Linear(384)]
[Dropout(P = 0f)]
[Maxout(3)]
public partial class MaxoutLinear3OwnInference
{
}
#pragma warning restore FOPS0015
#pragma warning restore FOPS0013

/// <summary><c>--quick maxout</c>: the fused Maxouts against their own passes, one thread, in alternating rounds.</summary>
internal static class QuickMaxout
{
    private const int Rounds = 9;

    /// <summary>Times the pairs and prints them.</summary>
    public static void Run()
    {
        Console.WriteLine("Maxout fusions (issue 7), 1 thread: fused ÷ the Maxout in its own passes (median of alternating samples).");
        var sampler = new Sampler();
        var pairs = new (string Name, Sampler.Row Fused, Sampler.Row Own)[]
        {
            ("Linear 32→1024 + BN + Maxout(4), training step, batch 256", sampler.Add(Step(new MaxoutLinearBn(1), 256), 1), sampler.Add(Step(new MaxoutLinearBnOwn(1), 256), 1)),
            ("Conv2d 1×1 16→1024 + BN + Maxout(4), training step, batch 256", sampler.Add(Step(new MaxoutConv1x1Bn(1), 256), 1), sampler.Add(Step(new MaxoutConv1x1BnOwn(1), 256), 1)),
            ("Linear 784→384 + Maxout(3), training step, batch 64", sampler.Add(Step(new MaxoutLinear3(1), 64), 1), sampler.Add(Step(new MaxoutLinear3OwnTraining(1), 64), 1)),
            ("Linear 784→384 + Maxout(3), Frozen.Infer, batch 64", sampler.Add(Infer(new MaxoutLinear3(1).Freeze(), 64), 1), sampler.Add(Infer(new MaxoutLinear3OwnInference(1).Freeze(), 64), 1)),
            ("Linear 784→384 + Maxout(3), Frozen.Infer, batch 8", sampler.Add(Infer(new MaxoutLinear3(1).Freeze(), 8), 1), sampler.Add(Infer(new MaxoutLinear3OwnInference(1).Freeze(), 8), 1)),
        };
        sampler.Measure(Rounds);
        var table = new Table("case", "fused", "own passes", "fused ÷ own");
        foreach ((string name, Sampler.Row fused, Sampler.Row own) in pairs)
        {
            table.Add(name, $"{fused.Seconds * 1e6:F1} µs", $"{own.Seconds * 1e6:F1} µs", $"{fused.Seconds / own.Seconds:F2}");
        }

        table.Print();
    }

    private static Action Step(IFusedModel model, int batch)
    {
        (float[] x, float[] y) = Data(model, batch);
        float[] g = [.. y.Select((_, i) => (i % 7) * 0.1f - 0.3f)], dx = new float[x.Length];
        return () =>
        {
            model.Forward(x, y, batch);
            model.ZeroGrad();
            model.Backward(g, dx);
        };
    }

    private static Action Infer(IInferenceModel model, int batch)
    {
        (float[] x, float[] y) = Data(model, batch);
        return () => model.Infer(x, y, batch);
    }

    private static (float[] X, float[] Y) Data(IInferenceModel model, int batch)
    {
        var random = new Random(3);
        return ([.. Enumerable.Range(0, batch * model.InputLength).Select(_ => random.NextSingle() - 0.5f)], new float[batch * model.OutputLength]);
    }
}
