using System.Linq;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// The `// Pipeline:` header, the code and the buffers of the last Maxout fusions: after Linear → BatchNorm and after Conv2d →
/// BatchNorm with a 1×1 output (the Maxout rides the normalise and reduction passes), after a Linear with pieces not dividing 16
/// (the GEMM's epilogue in blocked order, inference and training); and inference's pooled buffers with a pool fused into a Conv2d.
/// </summary>
public sealed class MaxoutBlockHeaderTests
{
    [Fact]
    public void MaxoutAfterLinearAndOneByOneConvBatchNorm_RidesTheNormaliseAndReductionPasses()
    {
        (string surface, string training, _) = Generate("""
            using FusedOps;

            /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
            [FusedPipeline(3, 3, 3)]
            [Conv2d(12, 3, Bias = false)]
            [BatchNorm]
            [Maxout(3)]
            [Flatten]
            [Linear(10, Bias = false)]
            [BatchNorm]
            [Maxout(5)]
            [Linear(3)]
            public partial class Net
            {
            }
            """, "Net");

        Assert.Contains("elementwise: normalise + Maxout(3)", surface);
        Assert.Contains("elementwise: normalise + Maxout(5)", surface);
        Assert.Contains("backward: elementwise: Maxout(3)' + BatchNorm reductions, then BatchNorm input gradient", surface);
        Assert.Contains("backward: elementwise: Maxout(5)' + BatchNorm reductions, then BatchNorm input gradient", surface);
        Assert.Contains("TrainingPasses.MaxoutAffineForward(3, _piece1, ref _z0[0], ref _z1[0], n, 12, 1,", training);
        Assert.Contains("TrainingPasses.MaxoutAffineForward(5, _piece3, ref _z2[0], ref _z3[0], n, 10, 1,", training);
        Assert.Contains("TrainingPasses.MaxoutBackwardReduce(5, _piece3, ref dy, ", training);
        Assert.DoesNotContain("ChannelActivations.MaxoutForward(", training);
        Assert.DoesNotContain("ChannelActivations.MaxoutBackward(", training);
        Assert.DoesNotContain("G1_Forward", training);
        Assert.DoesNotContain("G3_Backward", training);

        // The BatchNorm outputs are never stored: no buffer for them; the Linear's and the conv's z are kept.
        Assert.DoesNotContain("_y0", training);
        Assert.DoesNotContain("_y2", training);
        Assert.Contains("private float[] _z0 = ", training);
        Assert.Contains("private float[] _z2 = ", training);
    }

    [Fact]
    public void MaxoutAfterLinear_PiecesNotDividing16_RidesTheGemmEpilogue()
    {
        (string surface, string training, string inference) = Generate("""
            using FusedOps;

            /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
            [FusedPipeline(10)]
            [Linear(39)]
            [Maxout(3)]
            [Linear(133)]
            [Maxout(7)]
            [Linear(4)]
            public partial class Mlp
            {
            }
            """, "Mlp");

        Assert.Contains("inference: Linear, epilogue: bias + Maxout(3)", surface);
        Assert.Contains("inference: Linear, epilogue: bias + Maxout(7)", surface);
        Assert.Contains("training forward: Linear, epilogue: bias + Maxout(3)", surface);
        Assert.Contains("backward: Linear dW, dB, dX, dZ formed first: Maxout(7)'", surface);
        Assert.Equal(2, Count(surface, "inference: in group "));
        Assert.Equal(2, Count(surface, "training forward: in group "));

        // Blocked order: 13 outputs of 3 pieces, 39 columns in 3 panels; 19 outputs of 7, one block (7 panels) and 3 × 7 columns (2 panels).
        Assert.Contains("LinearKernels.InferMaxout(default(IdentityOperator), ref x, m, _w0, _packed0, 48, 10, ref y, 13, _scale0, _shift0, 3);", inference);
        Assert.Contains("_packed2, 144, 13, ref y, 19, _scale2, _shift2, 7);", inference);
        // Unfrozen, W stays in PyTorch's order (packed in blocked order per call): no reordered copy per Infer.
        Assert.Contains("if (fold) _w0 = LinearKernels.MaxoutOrder(_w0, 39, 10, 3);", inference);
        Assert.Contains("_scale0 = LinearKernels.MaxoutOrder(_scale0, 39, 1, 3);", inference);
        Assert.Contains("LinearKernels.TrainMaxout(ref _in[0], n, L0Weight.Data, 39, 10, ref _z1[0], _piece1.AsSpan(0, n * 13), L0Bias.Data, 3);", training);
        Assert.Contains("LinearKernels.MaxoutGradient(ref dy, _piece3.AsSpan(0, n * 19), ref _gradU[0], n, 133, 7, L2Bias.Grad);", training);
        Assert.DoesNotContain("ChannelActivations.MaxoutForward(", training);
        Assert.DoesNotContain("ChannelActivations.MaxoutForward(", inference);
        Assert.DoesNotContain("_z0", training);
        Assert.DoesNotContain("_z2", training);

        // Each Linear writes the Maxout's output: two pooled buffers, of the 19 floats of the larger Maxout.
        Assert.Contains("2 pooled buffer(s) of 19 floats per sample; group outputs: buf0, buf0, buf1, buf1, y ", surface);
    }

    [Fact]
    public void PoolInTheConvPass_PooledBuffersHoldThePooledOutput()
    {
        (string surface, _, string inference) = Generate("""
            using FusedOps;

            /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
            [FusedPipeline(3, 8, 8)]
            [Conv2d(8, 3, Padding = 1)]
            [ReLU]
            [MaxPool2d(2)]
            [Flatten]
            [Linear(5)]
            public partial class Cnn
            {
            }
            """, "Cnn");

        // The conv writes only the pooled 8 × 4 × 4 = 128 floats per sample, to one buffer; its 8 × 8 × 8 = 512 are never stored.
        Assert.Contains("inference: Conv2d, epilogue: bias + ReLU + MaxPool2d(2)", surface);
        Assert.Contains("1 pooled buffer(s) of 128 floats per sample; group outputs: buf0, buf0, y ", surface);
        Assert.Contains("private const int BufferLength = 128;", inference);
    }

    private static (string Surface, string Training, string Inference) Generate(string source, string name)
    {
        GeneratorRun run = GeneratorHarness.Run(source);
        // Only FOPS0013: BatchNorm on one value per channel trains with batches of 2 or more.
        Assert.All(run.GeneratorDiagnostics, d => Assert.Equal("FOPS0013", d.Id));
        Assert.True(!run.WarningsAndErrors.Any(d => d.Id != "FOPS0013"), GeneratorRun.Describe(run.WarningsAndErrors));
        string File(string suffix) => run.Sources.Where(s => s.HintName == name + suffix).Select(s => s.SourceText.ToString()).SingleOrDefault() ?? string.Empty;
        return (File(".g.cs"), File(".Training.g.cs"), File(".Inference.g.cs"));
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, string.Empty).Length) / part.Length;
}
