using System.Linq;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>The `// Pipeline:` header checks shared by the inference route tests (Im2col, lanes, Winograd).</summary>
internal static class RouteHeader
{
    /// <summary>
    /// Asserts that exactly one header line of <c>Net</c> names <paramref name="route"/>, and that it is group 0's
    /// Conv2d + BatchNorm + ReLU inference line; returns the generated inference source for the call checks.
    /// </summary>
    public static string AssertOnlyGroupZero(GeneratorRun run, string route)
    {
        string surface = run.Sources.Single(s => s.HintName == "Net.g.cs").SourceText.ToString();
        string[] lines = surface.Split('\n');
        string[] routed = lines.Where(l => l.Contains(route, System.StringComparison.Ordinal)).ToArray();
        Assert.Single(routed);
        int at = System.Array.FindIndex(lines, l => l.Contains(route, System.StringComparison.Ordinal));
        Assert.Contains("group 0: Conv2d[0] + BatchNorm[1] + ReLU[2]", lines[at - 1]);
        Assert.Contains("//     inference: Conv2d, epilogue: bias + BatchNorm scale/shift + ReLU " + route, routed[0]);
        return run.Sources.Single(s => s.HintName == "Net.Inference.g.cs").SourceText.ToString();
    }
}
