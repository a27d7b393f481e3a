using System;
using System.Linq;
using FusedOps.Generator.Tests.Property;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// Declarations on which <see cref="PropertyTests"/> once failed, kept as plain tests (the seed that
/// found each is in its comment; seeds change when the declaration generators change, declarations do not).
/// A test skipped with "BUG-n" reproduces an open generator bug whose shape <see cref="KnownBugs"/> filters
/// out of the properties: fixing the bug means removing the Skip and the filter together.
/// </summary>
public sealed class PropertyRegressionTests
{
    // Found by PlausibleDeclarations (seed 8FL88TBh8Yb1) and ChaoticDeclarations (seed dfPNputuITm1).
    [Theory]
    [InlineData(new[] { 11 }, 1)]
    [InlineData(new[] { 4, 2, 9 }, 1)]
    [InlineData(new[] { 4, 2, 9 }, 2)]
    public void OnlyFlatten_GeneratesPipeline(int[] input, int flattenCount) =>
        Check(new Declaration(input, [.. Enumerable.Repeat(new LayerDecl("Flatten", []), flattenCount)]));

    // Found by ChaoticDeclarations (seed 5jhPMhLwaae1): [FusedPipeline(1, 2, 8)] [Conv2d(3, 4, Padding = int.MaxValue, Dilation = 1)] [ReLU] [ReLU].
    // Generator-level only (run: false): when accepted, the second case corrupts memory in ConvHelpers.Pad.
    [Theory]
    [InlineData(4, int.MaxValue, 1)]
    [InlineData(1, int.MaxValue, int.MaxValue)]
    [InlineData(1, 1073741823, 1073741823)]
    public void ConvPaddingNearIntMax_Rejected(int kernel, int padding, int stride) =>
        PropertyTests.CheckDeclaration(
            new Declaration([1, 2, 8], [new LayerDecl("Conv2d", [new Arg(null, 3), new Arg(null, kernel), new Arg("Padding", padding), new Arg("Stride", stride)])]),
            run: false,
            filterKnownBugs: false);

    // Found by probing the size limits by hand; generator-level only (run: false): it would allocate gigabytes.
    [Theory]
    [InlineData(new[] { 65536 }, "Linear", 40000, 0)]
    [InlineData(new[] { 1, 300, 300 }, "Conv2d", 40000, 300)]
    public void WeightLargerThanAnArray_Rejected(int[] input, string layer, int outputs, int kernel)
    {
        Arg[] args = kernel == 0 ? [new Arg(null, outputs)] : [new Arg(null, outputs), new Arg(null, kernel)];
        PropertyTests.CheckDeclaration(new Declaration(input, [new LayerDecl(layer, args)]), run: false, filterKnownBugs: false);
    }

    // Found by ChaoticDeclarations (seed bdkDeA2lV1m2): the per-sample element count of (7, int.MaxValue, int.MaxValue)
    // overflowed long and the input shape was accepted.
    [Theory]
    [InlineData(7, int.MaxValue, int.MaxValue)]
    [InlineData(int.MaxValue, int.MaxValue, int.MaxValue)]
    public void HugeInputShape_Rejected(int c, int h, int w) =>
        PropertyTests.CheckDeclaration(new Declaration([c, h, w], [new LayerDecl("ReLU", [])]), run: false, filterKnownBugs: false);

    // Found by PlausibleDeclarations against the reference (seed cBDeVK0wY4G2, FUSEDOPS_PROPERTY_SCALE=3, case 426): Infer
    // differed from the reference by up to 2.7e-4 (normwise 1.8e-4). BUG-4, fixed: every layer up to HardSigmoid matched to
    // 1e-7; the LayerNorm's input (12 values near 0.5, spread 0.003) lost three digits of its variance to Σx² − n·μ² summed
    // in float lanes (SampleNorm.Moments); see LayerNormOfNearlyEqualValues_KeepsTheVariance.
    [Fact]
    public void SoftplusToLayerNormWithBranches_MatchesReference() =>
        Check(new Declaration([2], [
            new LayerDecl("Save", [new Arg(null, "a")]), new LayerDecl("Add", [new Arg(null, "a")]), new LayerDecl("Softplus", []),
            new LayerDecl("LeakyReLU", []), new LayerDecl("Linear", [new Arg(null, 6)]), new LayerDecl("Save", [new Arg(null, "b")]),
            new LayerDecl("Concat", [new Arg(null, "b")]), new LayerDecl("BipolarReLU", []), new LayerDecl("HardSigmoid", []),
            new LayerDecl("LayerNorm", [])]));

    // BUG-4's kernel alone: the generated LayerNorm's input for the worst sample of the case above, normalised by the kernel
    // and in double from the same floats. The normalise pass x·invStd − μ·invStd rounds at the scale of max|x|·invStd (114
    // here), so a few float ulps of that is what float arithmetic must give; the one-pass variance was 30 times further off.
    [Fact]
    public void LayerNormOfNearlyEqualValues_KeepsTheVariance()
    {
        float[] x = [0.50767988f, 0.49920633f, 0.50461f, 0.5f, 0.5f, 0.49993744f, 0.50767988f, 0.49920633f, 0.50461f, 0.5f, 0.5f, 0.49993744f];
        const float epsilon = 1e-5f;
        float[] y = new float[x.Length], mean = new float[1], invStd = new float[1], scale = new float[x.Length], shift = new float[x.Length];
        SampleNorm.Forward(default(IdentityOperator), ref x[0], ref y[0], 1, new SampleNorm.Shape(1, x.Length, 1, epsilon), [], [], mean, invStd, scale, shift);

        double mu = x.Average(v => (double)v);
        double exactInvStd = 1 / Math.Sqrt(x.Average(v => ((double)v - mu) * ((double)v - mu)) + epsilon);
        double allowance = 4 * Math.Pow(2, -24) * x.Max() * exactInvStd;
        double error = x.Select((v, i) => Math.Abs(((v - mu) * exactInvStd) - y[i])).Max();
        Assert.True(error <= allowance, $"LayerNorm of values near 0.5: error {error:E3} > {allowance:E3} (invStd {invStd[0]}, exact {exactInvStd:R})");
    }

    private static void Check(Declaration declaration) => PropertyTests.CheckDeclaration(declaration, run: true, filterKnownBugs: false);
}
