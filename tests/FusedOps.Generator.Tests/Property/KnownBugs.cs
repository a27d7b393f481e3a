using System.Linq;

namespace FusedOps.Generator.Tests.Property;

/// <summary>
/// Narrow filters for generator bugs the property tests found and that are not fixed yet. Each names
/// the bug and matches only its shape, so the rest of the space stays tested; each has a skipped
/// regression test in <see cref="PropertyRegressionTests"/>. Remove a filter with its fix.
/// </summary>
internal static class KnownBugs
{
    /// <summary>The bug a declaration would hit, or null.</summary>
    public static string? Match(Declaration declaration)
    {
        // BUG-1 (PropertyRegressionTests.OnlyFlatten_GeneratesPipeline): a valid pipeline made only of
        // Flatten layers has no fusion group; PipelineEmitter.Context calls Max() on the empty group list
        // and the generator reports FOPS0099 "Sequence contains no elements" instead of generating.
        if (declaration.Layers.Count > 0 && declaration.Layers.All(l => l.Name == "Flatten"))
        {
            return "BUG-1 only Flatten layers: FOPS0099";
        }

        // BUG-2 (PropertyRegressionTests.ConvPaddingNearIntMax_Rejected): PipelinePlanner computes the padded
        // height as int, (long)(x.H + (2 * layer.Padding)), which wraps when H + 2·Padding > int.MaxValue. Conv2d
        // with such a Padding is accepted: with Stride 1 the output shape wraps negative (OutputLength = -27),
        // with a stride as large as the padding the output looks fine and ConvHelpers.Pad writes out of
        // bounds (AccessViolationException, the process dies). Every height FusedOps accepts is at most
        // int.MaxValue / 64, so only paddings above this bound can wrap.
        if (declaration.Layers.Any(l => l.Name == "Conv2d" && l.Int("Padding", 0) > (int.MaxValue - (int.MaxValue / 64)) / 2))
        {
            return "BUG-2 Conv2d Padding near int.MaxValue: wrapped shape accepted";
        }

        // BUG-3 (PropertyRegressionTests.WeightLargerThanAnArray_Rejected): the planner limits every activation
        // to int.MaxValue / 64 elements but never looks at weights, so [FusedPipeline(65536)] [Linear(40000)]
        // (2.6e9 weights) or [FusedPipeline(1, 300, 300)] [Conv2d(40000, 300)] (3.6e9) is accepted, compiles,
        // and throws from the Parameter constructor at run time. Matched only when that is the sole reason to reject.
        if (Oracle.Judge(declaration) is { Verdict: Verdict.Reject, Reasons: [string only] } && only.Contains("has a weight of", System.StringComparison.Ordinal))
        {
            return "BUG-3 weight larger than an array: accepted";
        }

        return null;
    }
}
