using System.Linq;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// The `// Pipeline:` header and the training code of the Fashion-MNIST network's shape after TrainingNormFusion: BatchNorm's
/// normalise + ReLU in the next grid conv's pad (the residual Add recomputing the saved output from z), MaxPool2d in the normalise
/// pass, the reductions storing no dU, and the saved tensor's gradient with no clearing pass and no add pass; and where a reader
/// cannot recompute the output (a Concat), it stays stored.
/// </summary>
public sealed class TrainingNormFusionHeaderTests
{
    private const string Residual = """
        using FusedOps;

        /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
        [FusedPipeline(1, 12, 12)]
        [Conv2d(4, 3, Padding = 1)]
        [BatchNorm]
        [ReLU]
        [Save("a")]
        [Conv2d(4, 3, Padding = 1)]
        [BatchNorm]
        [ReLU]
        [Conv2d(4, 3, Padding = 1)]
        [BatchNorm]
        [Add("a")]
        [ReLU]
        [MaxPool2d(2)]
        [Conv2d(8, 3, Padding = 1)]
        [BatchNorm]
        [ReLU]
        [MaxPool2d(2)]
        [Flatten]
        [Linear(10)]
        public partial class Net
        {
        }
        """;

    private const string Concatenated = """
        using FusedOps;

        /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
        [FusedPipeline(2, 10, 10)]
        [Conv2d(4, 3, Padding = 1)]
        [BatchNorm]
        [ReLU]
        [Save("a")]
        [Conv2d(4, 3, Padding = 1)]
        [BatchNorm]
        [ReLU]
        [Concat("a")]
        [Flatten]
        [Linear(3)]
        public partial class Net
        {
        }
        """;

    [Fact]
    public void ResidualNetwork_NormalisedOutputsNeverStored_PassesAndBuffersGone()
    {
        (string surface, string training) = Generate(Residual);

        // Without the fusion: training forward 11 (two normalise passes and two pools more), backward 15 (the BatchNorm input
        // gradient a pass of its own in the three groups whose dU is no longer stored, and both pools' backward).
        // Groups 0 and 1's reductions run in the next conv's backward (rule 7): listed, not counted.
        Assert.Contains("// Passes: inference 5, training forward 7, backward 8;", surface);
        Assert.Contains("group 0: Conv2d[0] + BatchNorm[1] + ReLU[2]", surface);
        Assert.Contains("training forward: Conv2d, epilogue: bias + channel sums; normalise + ReLU: in group 1's input pad (forward and backward), not stored", surface);
        Assert.Contains("training forward: Conv2d, epilogue: bias + channel sums; normalise + ReLU: in group 2's input pad (forward and backward), not stored", surface);
        Assert.Contains("elementwise: normalise + add \"a\" (recomputed from group 0's z) + ReLU + MaxPool2d(2)", surface);
        Assert.Contains("elementwise: normalise + ReLU + MaxPool2d(2)", surface);
        Assert.Contains("training forward: in group 2's normalise pass", surface);
        Assert.Contains("training forward: in group 4's normalise pass", surface);
        // The first pool's backward runs in the residual group's reduction pass (its full-size gradient never stored); the second's
        // twice, per sample, in the reductions and as the conv's dZ goes onto its grid (rule 6).
        Assert.Contains("backward: in group 2's backward", surface);
        Assert.Contains("backward: in group 4's backward", surface);
        Assert.DoesNotContain("MaxPool2d backward (1 pass)", surface);
        Assert.Contains("backward: dY + gradient from \"a\" (in place) + ReLU' + BatchNorm reductions (sums only, dU not stored): per sample in group 1's Conv2d backward, no pass,", surface);
        Assert.Contains("backward: ReLU' + BatchNorm reductions (sums only, dU not stored): per sample in group 2's Conv2d backward, no pass,", surface);
        Assert.Equal(1, Count(surface, "(sums only, dU not stored), then Conv2d dW, dB, dX, dZ formed"));
        // "a"'s gradient is stored at the pooled size only (rule 8): ReLU′ at the pool's output, formed per plane where it is read.
        Assert.Contains("//   _gradPool2 144: group 2: ReLU' of the pooled gradient", surface);

        // The buffers: z of every conv group is kept; no group's normalised output is.
        string buffers = surface.Substring(surface.IndexOf("// Buffers, training", System.StringComparison.Ordinal));
        foreach (string gone in new[] { "_y0 ", "_y1 ", "_y2 ", "_y4 " })
        {
            Assert.DoesNotContain("//   " + gone, buffers);
            Assert.DoesNotContain($"private float[] {gone.Trim()} ", training);
        }

        Assert.Contains("//   _z0 576:", buffers);
        // Nor the residual sum: the backward's reduction pass recomputes it from z2 and z0 (rule 5).
        Assert.DoesNotContain("//   _u2 ", buffers);
        Assert.DoesNotContain("_u2", training);
        Assert.Contains("backward: elementwise: ReLU' (at the pool's output, on the pooled gradient, stored at the pooled size) + gradient to \"a\" + BatchNorm reductions, then", surface);

        Assert.Contains("_conv1.NormalizeInput(new ReluOperator(), _scale0, _shift0);", training);
        Assert.Contains("_conv1.Forward(_z0, ", training);
        Assert.Contains("_conv2.NormalizeInput(new ReluOperator(), _scale1, _shift1);", training);
        Assert.Contains("TrainingPasses.AffineAddNormPoolForward(act, ref _z2[0], new ReluOperator(), ref _z0[0], ref _scale0[0], ref _shift0[0], ref _z3[0],", training);
        Assert.Contains("TrainingPasses.AffinePoolForward(act, ref _z4[0], ref _z5[0], ref _argMax5[0], n, 8, ref _scale4[0], ref _shift4[0],", training);
        // Group 0's reductions (after the saved gradient joins dY) and group 1's per sample in the next conv's backward (rule 7).
        Assert.Contains("_conv1.ReducePooledInputGradient(new ReluOperator(), _z0, _scale0, _shift0, _mean0, _invStd0, new Pooling.Window(12, 12, 6, 6, 2, 2, 0),", training);
        Assert.Contains("_gradPool2, _sumsPerSample0);", training);
        Assert.Contains("_conv2.ReduceInputGradient(new ReluOperator(), _z1, _scale1, _shift1, _mean1, _invStd1, null, _sumsPerSample1);", training);
        Assert.Contains("TrainingPasses.FinishSums(_sumsPerSample0, n, 4, 144, ref sumDu, ref sumDuXhat);", training);
        Assert.Contains("TrainingPasses.FinishSums(_sumsPerSample1, n, 4, 144, ref sumDu, ref sumDuXhat);", training);
        Assert.DoesNotContain("TrainingPasses.AddBackwardSums(", training);
        Assert.DoesNotContain("TrainingPasses.BackwardSums(", training);
        Assert.Contains("TrainingPasses.PoolMaskBackwardSums(act, ref dy, ref _argMax3[0], new Pooling.Window(12, 12, 6, 6, 2, 2, 0), ref _z3[0], ref _gradPool2[0],", training);
        Assert.DoesNotContain("PoolAddNormBackwardReduce", training);
        Assert.DoesNotContain("G3_Backward", training);
        // dU stored once at the pooled size, the conv's dZ formed from it per plane; no full-size gradient of "a" at all.
        Assert.Contains("    ref zs, n, 4, ref mean, ref invStd, ref sumDu, ref sumDuXhat);", training);
        Assert.Contains("dz = ref _gradPool2[0];", training);
        Assert.Contains("_conv2.PooledBackward(new Pooling.Window(12, 12, 6, 6, 2, 2, 0), _argMax3, _z1, ref dz, _z2,", training);
        Assert.DoesNotContain("_gradSave0", training);
        Assert.Contains("TrainingPasses.PoolBackwardSums(act, ref dy, ref _argMax5[0], new Pooling.Window(6, 6, 3, 3, 2, 2, 0), ref zs, n, 8,", training);
        Assert.Contains("_conv4.PooledNormBackward(new ReluOperator(), _scale4, _shift4, new Pooling.Window(6, 6, 3, 3, 2, 2, 0), _argMax5, _z3, ref dz, _z4,", training);
        Assert.DoesNotContain("TrainingPasses.MaxBackward(", training);
        Assert.DoesNotContain("G5_Backward", training);
        Assert.DoesNotContain("Array.Clear(_gradSave0", training);
        Assert.DoesNotContain("TrainingPasses.Add(ref _gradSave0", training);
        Assert.DoesNotContain("TrainingPasses.AffineForward(", training);
        Assert.DoesNotContain("TrainingPasses.MaxForward(", training);
        Assert.DoesNotContain("TrainingPasses.BackwardReduce(", training);
        Assert.DoesNotContain("G3_Forward", training);
    }

    // Without a MaxPool2d after the residual group, its reduction pass reads the full-size dY and u is kept (rule 5 needs rule 4).
    [Fact]
    public void ResidualWithoutPool_KeepsItsSum()
    {
        string withoutPool = Residual.Replace("[ReLU]\n[MaxPool2d(2)]\n[Conv2d(8", "[ReLU]\n[Conv2d(8", System.StringComparison.Ordinal);
        Assert.NotEqual(Residual, withoutPool);
        (string surface, string training) = Generate(withoutPool);

        Assert.Contains("elementwise: normalise + add \"a\" (recomputed from group 0's z) + ReLU", surface);
        Assert.Contains("//   _u2 576:", surface);
        Assert.DoesNotContain("recomputed from z and group", surface);
        Assert.DoesNotContain("PoolAddNormBackwardReduce", training);
        Assert.Contains("TrainingPasses.AddBackwardReduce(act, ref dy, ref _u2[0], ", training);
    }

    [Fact]
    public void SavedOutputReadByConcat_StaysStored_TheNextConvReadsIt()
    {
        (string surface, string training) = Generate(Concatenated);

        Assert.Contains("//   _y0 400: group 0: output", surface);
        Assert.Contains("_conv1.Forward(_y0, ", training);
        Assert.Contains("TrainingPasses.AffineForward(act, ref _z0[0], ref _y0[0],", training);
        Assert.DoesNotContain("_conv1.NormalizeInput", training);

        // The reductions still store no dU; the Concat's split adds to a cleared buffer, which joins dY in group 0's reductions.
        Assert.Contains("TrainingPasses.BackwardSums(act, ref dy, ref zs, n, 4, 100,", training);
        Assert.Contains("TrainingPasses.AddBackwardSums(act, ref _gradSave0[0], ref dy, ref zs, n, 4, 100,", training);
        Assert.Contains("Array.Clear(_gradSave0", training);
    }

    private static (string Surface, string Training) Generate(string source)
    {
        GeneratorRun run = GeneratorHarness.Run(source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(!run.WarningsAndErrors.Any(), GeneratorRun.Describe(run.WarningsAndErrors));
        return (run.Sources.Single(s => s.HintName == "Net.g.cs").SourceText.ToString(), run.Sources.Single(s => s.HintName == "Net.Training.g.cs").SourceText.ToString());
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, string.Empty).Length) / part.Length;
}
