using System.Collections.Generic;
using FusedOps.Generator.Diagnostics;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Plan;

/// <summary>Shapes and groups of the standalone layers (pooling, Dropout, per-sample norms).</summary>
internal static partial class PipelinePlanner
{
    private static Shape? InferPool(PoolLayer pool, Shape x, List<DiagnosticInfo> diagnostics)
    {
        if (x.Rank != 3)
        {
            return Reject(pool, x, $"{pool.Name} needs (channels, height, width) input", diagnostics);
        }

        if (pool.Kind == PoolKind.GlobalAverage)
        {
            return Shape.Image(x.C, 1, 1);
        }

        // PyTorch's floor mode: ⌊(n + 2p − k)/s⌋ + 1, at least 1 only when the window fits the padded input.
        long oh = x.H + (2L * pool.Padding) < pool.KernelSize ? 0 : ((x.H + (2L * pool.Padding) - pool.KernelSize) / pool.Stride) + 1;
        long ow = x.W + (2L * pool.Padding) < pool.KernelSize ? 0 : ((x.W + (2L * pool.Padding) - pool.KernelSize) / pool.Stride) + 1;
        if (oh < 1 || ow < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ShapeVanishes, pool.Location, pool.Index, pool.Name, x, $"({x.C}, {oh}, {ow})"));
            return null;
        }

        return Shape.Image(x.C, (int)oh, (int)ow);
    }

    /// <summary>The norm's shape is its input's; GroupNorm's groups must divide the channels, InstanceNorm needs an image of more than one value.</summary>
    private static Shape? CheckSampleNorm(SampleNormLayer norm, Shape x, List<DiagnosticInfo> diagnostics)
    {
        if (norm.Kind == SampleNormKind.Group && x.C % norm.Groups != 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, norm.GroupsLocation ?? norm.Location, norm.Index, norm.Name, "groups", norm.Groups, $"it must divide the {x.C} channels"));
            return null;
        }

        if (norm.Kind == SampleNormKind.Instance && (x.Rank != 3 || x.Spatial == 1))
        {
            // PyTorch refuses one value per channel: the variance would always be 0.
            return Reject(norm, x, "InstanceNorm needs (channels, height, width) input with more than one value per channel", diagnostics);
        }

        return x;
    }

    private static Shape? InferMaxout(MaxoutLayer maxout, Shape x, List<DiagnosticInfo> diagnostics)
    {
        if (x.C % maxout.Pieces != 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, maxout.PiecesLocation ?? maxout.Location, maxout.Index, maxout.Name, "pieces", maxout.Pieces, $"it must divide the {x.C} channels (features)"));
            return null;
        }

        return x with { C = x.C / maxout.Pieces };
    }

    /// <summary>A cosine-normalised Linear takes rank-1 input, as Linear does.</summary>
    private static Shape? InferCosineLinear(CosineLinearLayer cosine, Shape x, List<DiagnosticInfo> diagnostics)
    {
        if (x.Rank != 1)
        {
            return Reject(cosine, x, "Linear needs rank-1 input; add [Flatten] before it", diagnostics);
        }

        if ((long)cosine.OutFeatures * x.Length > MaxElements)
        {
            return Reject(cosine, x, $"its weight [{cosine.OutFeatures}, {x.Length}] has more than {MaxElements} elements", diagnostics);
        }

        return Shape.Vector(cosine.OutFeatures);
    }

    private static GroupPlan CreateStandalone(int index, StandaloneLayer layer, ActivationLayer? act, Shape input, Shape output)
    {
        bool activation = act is not null;
        return new GroupPlan(
            index,
            AnchorKind.Standalone,
            layer.WithoutLocations(),
            null,
            (ActivationLayer?)act?.WithoutLocations(),
            ActivationTable.Operator(act),
            input,
            output,
            null,
            FusionRules.Passes(Mode.Inference, AnchorKind.Standalone, false, false, false, activation),
            FusionRules.Passes(Mode.TrainingForward, AnchorKind.Standalone, false, false, false, activation),
            FusionRules.Passes(Mode.Backward, AnchorKind.Standalone, false, false, false, activation));
    }
}
