using Microsoft.CodeAnalysis;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// The argument ranges of the layers generated since the second design (activations, pooling, norms,
/// Dropout): each out-of-range value is a FOPS0005 error on the argument as written, and nothing is generated.
/// </summary>
public sealed class LayerDiagnosticsTests
{
    [Theory]
    [InlineData("(8)", "Softplus(Beta = 0f)", "Beta = 0f", "Beta is 0")]
    [InlineData("(8)", "Softplus(Beta = -0f)", "Beta = -0f", "must not be 0")]
    [InlineData("(8)", "Isru(Alpha = -1f)", "Alpha = -1f", "Alpha is -1")]
    [InlineData("(8)", "Isrlu(Alpha = -0.5f)", "Alpha = -0.5f", "must not be negative")]
    [InlineData("(8)", "ELU(Alpha = float.PositiveInfinity)", "Alpha = float.PositiveInfinity", "finite")]
    [InlineData("(8)", "Swish(Beta = float.NaN)", "Beta = float.NaN", "finite")]
    [InlineData("(8)", "Dropout(P = 1f)", "P = 1f", "[0, 1)")]
    [InlineData("(8)", "Dropout(P = -0.25f)", "P = -0.25f", "P is -0.25")]
    [InlineData("(2, 9, 9)", "MaxPool2d(3, Padding = 2)", "Padding = 2", "at most half the kernel size (1)")]
    [InlineData("(2, 9, 9)", "MaxPool2d(0)", "0", "kernelSize is 0")]
    [InlineData("(2, 9, 9)", "AvgPool2d(2, Stride = 0)", "Stride = 0", "Stride is 0")]
    [InlineData("(2, 9, 9)", "AvgPool2d(2, Padding = -1)", "Padding = -1", "must not be negative")]
    [InlineData("(6, 3, 3)", "GroupNorm(4)", "4", "must divide the 6 channels")]
    [InlineData("(6, 3, 3)", "Maxout(4)", "4", "must divide the 6 channels")]
    [InlineData("(10)", "Maxout(0)", "0", "pieces is 0")]
    [InlineData("(2, 5, 5)", "LocalResponseNorm(0)", "0", "size is 0")]
    [InlineData("(2, 5, 5)", "LocalResponseNorm(3, K = 0f)", "K = 0f", "above 0")]
    [InlineData("(2, 5, 5)", "LocalResponseNorm(3, Alpha = -1f)", "Alpha = -1f", "must not be negative")]
    [InlineData("(6, 3, 3)", "PReLU(NumParameters = 4)", "NumParameters = 4", "must be 1 or the 6 channels")]
    [InlineData("(6)", "PReLU(NumParameters = 0)", "NumParameters = 0", "NumParameters is 0")]
    [InlineData("(6)", "PReLU(Init = float.NaN)", "Init = float.NaN", "finite")]
    [InlineData("(6)", "RReLU(Lower = 0.5f, Upper = 0.25f)", "Lower = 0.5f", "must not exceed Upper (0.25)")]
    [InlineData("(6, 3, 3)", "GroupNorm(0)", "0", "groups is 0")]
    [InlineData("(12)", "GroupNorm(groups: 5)", "groups: 5", "must divide the 12 channels")]
    [InlineData("(12)", "LayerNorm(Epsilon = 0f)", "Epsilon = 0f", "above 0")]
    [InlineData("(2, 3, 3)", "InstanceNorm(Epsilon = -1f)", "Epsilon = -1f", "above 0")]
    public void ArgumentOutOfRange_FOPS0005_OnArgument(string input, string layer, string argument, string what)
    {
        Diagnostic d = DiagnosticsTests.AssertRejected(
            $$"""
            [FusedPipeline{{input}}]
            [{{layer}}]
            public partial class Net
            {
            }
            """,
            "FOPS0005",
            argument);

        Assert.Contains(what, DiagnosticsTests.Message(d));
    }

    [Fact]
    public void PoolWindowLargerThanPaddedInput_FOPS0006_OnPoolAttribute()
    {
        Diagnostic d = DiagnosticsTests.AssertRejected(
            """
            [FusedPipeline(2, 4, 9)]
            [MaxPool2d(5, Padding = 0)]
            public partial class Net
            {
            }
            """,
            "FOPS0006",
            "MaxPool2d(5, Padding = 0)");

        Assert.Contains("(2, 4, 9) into (2, 0, 1)", DiagnosticsTests.Message(d));
    }

    [Theory]
    [InlineData("InstanceNorm")]
    [InlineData("LocalResponseNorm(3)")]
    [InlineData("MaxPool2d(2)")]
    [InlineData("AvgPool2d(2)")]
    [InlineData("GlobalAvgPool2d")]
    public void PoolOnVector_FOPS0004_OnPoolAttribute(string layer)
    {
        Diagnostic d = DiagnosticsTests.AssertRejected(
            $$"""
            [FusedPipeline(12)]
            [{{layer}}]
            public partial class Net
            {
            }
            """,
            "FOPS0004",
            layer);

        Assert.Contains("(channels, height, width)", DiagnosticsTests.Message(d));
    }

    [Theory]
    [InlineData("(8)", "Linear(4, WeightNorm = true, SpectralNorm = true)", "SpectralNorm = true", "cannot be combined with WeightNorm")]
    [InlineData("(8)", "Linear(4, SpectralNorm = true, CosineNorm = true)", "CosineNorm = true", "cannot be combined with SpectralNorm")]
    [InlineData("(8)", "Linear(4, CosineNorm = true, WeightNorm = true)", "CosineNorm = true", "cannot be combined with WeightNorm")]
    [InlineData("(2, 5, 5)", "Conv2d(4, 3, SpectralNorm = true, WeightNorm = true)", "SpectralNorm = true", "at most one of WeightNorm, SpectralNorm and CosineNorm")]
    [InlineData("(2, 5, 5)", "SwitchableNorm(Momentum = 2f)", "Momentum = 2f", "[0, 1]")]
    [InlineData("(2, 5, 5)", "SwitchableNorm(Epsilon = 0f)", "Epsilon = 0f", "above 0")]
    public void WeightOptionsAndSwitchableNorm_FOPS0005_OnArgument(string input, string layer, string argument, string what)
    {
        Diagnostic d = DiagnosticsTests.AssertRejected(
            $$"""
            [FusedPipeline{{input}}]
            [{{layer}}]
            public partial class Net
            {
            }
            """,
            "FOPS0005",
            argument);

        Assert.Contains(what, DiagnosticsTests.Message(d));
    }

    [Theory]
    [InlineData("(8)", "SwitchableNorm", "(channels, height, width)")]
    [InlineData("(2, 5, 5)", "Linear(4, CosineNorm = true)", "rank-1 input")]
    public void SwitchableNormOnVector_CosineLinearOnImage_FOPS0004(string input, string layer, string what)
    {
        Diagnostic d = DiagnosticsTests.AssertRejected(
            $$"""
            [FusedPipeline{{input}}]
            [{{layer}}]
            public partial class Net
            {
            }
            """,
            "FOPS0004",
            layer);

        Assert.Contains(what, DiagnosticsTests.Message(d));
    }

    /// <summary>The weight options and SwitchableNorm are generated (no FOPS0007) and the generated code compiles cleanly.</summary>
    [Theory]
    [InlineData("(8)", "Linear(4, WeightNorm = true)", "WeightForms.WeightNormForward")]
    [InlineData("(8)", "Linear(4, SpectralNorm = true)", "WeightForms.SpectralNormForward")]
    [InlineData("(8)", "Linear(4, CosineNorm = true)", "CosineLinear.Forward")]
    [InlineData("(2, 5, 5)", "Conv2d(4, 3, WeightNorm = true)", "WeightForms.WeightNormBackward")]
    [InlineData("(2, 5, 5)", "Conv2d(4, 3, SpectralNorm = true, Bias = false)", "WeightForms.SpectralNormBackward")]
    [InlineData("(2, 5, 5)", "SwitchableNorm", "SwitchableNormKernel")]
    public void WeightOptionsAndSwitchableNorm_Generated(string input, string layer, string kernel)
    {
        GeneratorRun run = GeneratorHarness.Run(
            $$"""
            using FusedOps;

            /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
            [FusedPipeline{{input}}]
            [{{layer}}]
            public partial class Net
            {
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.WarningsAndErrors);
        Assert.Contains(run.Sources, s => s.SourceText.ToString().Contains(kernel, System.StringComparison.Ordinal));
    }

    /// <summary>CosineNorm exists on Linear only: on Conv2d the C# compiler rejects the property, and FOPS0005 says what to write instead.</summary>
    [Fact]
    public void CosineNormOnConv2d_FOPS0005_WithTheCompilerError()
    {
        GeneratorRun run = GeneratorHarness.Run(
            """
            using FusedOps;

            [FusedPipeline(2, 5, 5)]
            [Conv2d(4, 3, CosineNorm = true)]
            public partial class Net
            {
            }
            """);

        Assert.Null(run.Result.Exception);
        Diagnostic d = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("FOPS0005", d.Id);
        Assert.Equal("CosineNorm = true", run.LocationText(d));
        Assert.Contains("exists on Linear only", DiagnosticsTests.Message(d));
        Assert.Empty(run.Sources);
        Assert.Contains(run.CompilationDiagnostics, c => c.Id == "CS0246" && c.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("CosineNorm", System.StringComparison.Ordinal));
    }
}
