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
}
