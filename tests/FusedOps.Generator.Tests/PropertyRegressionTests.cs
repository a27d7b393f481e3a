using System.Linq;
using FusedOps.Generator.Tests.Property;
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
    // differs from the reference by up to 2.7e-4 (normwise 1.8e-4) on many samples, alone or in a batch, at every kernel
    // width, ten times what the pipeline's conditioning explains. Suspect: an activation's float approximation
    // (Softplus, HardSigmoid) amplified by the LayerNorm over 12 values. Not filtered: outside the CI seed's 250 cases.
    [Fact(Skip = "BUG-4: open, Infer 1.8e-4 from the reference; see the comment")]
    public void SoftplusToLayerNormWithBranches_MatchesReference() =>
        Check(new Declaration([2], [
            new LayerDecl("Save", [new Arg(null, "a")]), new LayerDecl("Add", [new Arg(null, "a")]), new LayerDecl("Softplus", []),
            new LayerDecl("LeakyReLU", []), new LayerDecl("Linear", [new Arg(null, 6)]), new LayerDecl("Save", [new Arg(null, "b")]),
            new LayerDecl("Concat", [new Arg(null, "b")]), new LayerDecl("BipolarReLU", []), new LayerDecl("HardSigmoid", []),
            new LayerDecl("LayerNorm", [])]));

    private static void Check(Declaration declaration) => PropertyTests.CheckDeclaration(declaration, run: true, filterKnownBugs: false);
}
