using System.Linq;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// A Maxout whose runs cross a grouped Conv2d's groups (pieces not dividing a group's channels) rides the conv: in the inference
/// epilogue (block calls written per phase a group starts at, a partial panel's first run finished in the tail) and, off the grid,
/// in the training per-sample loop or BatchNorm's normalise pass. Layer by layer it would be a pass of its own each way.
/// </summary>
public sealed class MaxoutCrossingGroupsHeaderTests
{
    private const string Source = """
        using FusedOps;

        /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
        [FusedPipeline(6, 7, 9)]
        [Conv2d(12, 3, Padding = 1, Groups = 3)]
        [Maxout(3)]
        [Conv2d(6, 3, Stride = 2, Padding = 1, Groups = 2)]
        [BatchNorm]
        [Maxout(2)]
        [Conv2d(3, 3, Padding = 1, Groups = 3)]
        [Maxout(3)]
        public partial class Net
        {
        }
        """;

    [Fact]
    public void CrossingMaxout_RidesTheConv_InferenceAndTraining()
    {
        GeneratorRun run = GeneratorHarness.Run(Source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(!run.WarningsAndErrors.Any(), GeneratorRun.Describe(run.WarningsAndErrors));
        string File(string suffix) => run.Sources.Single(s => s.HintName == "Net" + suffix).SourceText.ToString();
        string surface = File(".g.cs"), inference = File(".Inference.g.cs"), kernels = File(".Kernels.g.cs");

        Assert.Contains("inference: Conv2d, epilogue: bias + Maxout(3)", surface);
        Assert.Contains("inference: Conv2d, epilogue: bias + BatchNorm scale/shift + Maxout(2)", surface);
        Assert.Equal(3, Count(surface, "inference: in group "));
        Assert.Contains("training forward: Conv2d, epilogue: bias + Maxout(3)", surface);
        Assert.Contains("backward: Conv2d dW, dB, dX, dZ formed first: Maxout(3)'", surface);
        Assert.Equal(3, Count(surface, "training forward: in group "));
        Assert.Equal(3, Count(surface, "backward: in group "));
        Assert.DoesNotContain("ChannelActivations.MaxoutForward(", inference);

        // Groups of 4 channels start at phases 0, 1 and 2 of Maxout(3): one set of block calls per phase. The group at phase 2
        // (channels 8…11) starts with a Vector512 block of 4 rows writing from its first run (row 0), begun by the group before.
        Assert.Contains("if (c0 % 3 == 0)", kernels);
        Assert.Contains("else if (c0 % 3 == 1)", kernels);
        Assert.Contains("else if (c0 % 3 == 2)", kernels);
        Assert.Contains("L0_Infer512x4p2(act, ref Unsafe.Add(ref wg, 0), ref b, ref offsets, ref Unsafe.Add(ref dst, 0 * ld)", kernels);
        Assert.Contains("if (!full && !train && c0 % 3 != 0)", kernels);
        Assert.Contains("maxed = channel % 3 == 0 ? value : ConvHelpers.PoolMax(maxed, value);", kernels);
        Assert.Contains("ConvHelpers.CopyColumns(ref tail, train ? 4 : ((c0 + 3) / 3) - (c0 / 3) + 1, 32, valid, ref yb, 63);", kernels);

        // Infer's scratch is the calling thread's aligned call scratch, not a rented (unaligned) array.
        Assert.Contains("ref float scratch = ref ConvParallel.CallScratch(Scratch);", inference);
        Assert.DoesNotContain("pool.Rent(Scratch)", inference);

        // Off the grid each conv's training loop runs in parts; their partial sums and gradients are added in part order.
        string training = File(".Training.g.cs");
        Assert.Contains("ConvParallel.Run(new G0TrainParts(this, n, false, false)", training);
        Assert.Contains("PartSums.Sum(_partSums0, parts, _sum0, _sumSq0);", training);
        Assert.Contains("PartSums.AddTo(_partDw0, parts, L0Weight.Grad);", training);
        Assert.Contains("ref float sc = ref ConvParallel.ThreadScratch(Scratch + SampleLength);", training);
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, string.Empty).Length) / part.Length;
}
