using System.Linq;
using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>The <c>// Pipeline:</c> comment: layers and shapes, groups and their passes per mode, and the buffer plan.</summary>
internal static class HeaderEmitter
{
    public static void Write(CodeWriter w, PipelineModel m)
    {
        w.Line($"// Pipeline: {m.TypeName}, input {m.Input} ({m.Input.Length} per sample)");
        for (int i = 0; i < m.Layers.Count; i++)
        {
            w.Line($"//   [{i}] {m.Layers[i].Describe()} -> {m.Shapes[i]}");
        }

        w.Line("// Fusion groups and their passes (each pass is one sweep over memory; \"then\" separates passes):");
        foreach (SavePoint s in m.Saves)
        {
            w.Line($"//   Save \"{s.Name}\": {(s.AfterGroup < 0 ? "the input" : $"the output of group {s.AfterGroup}")}");
        }

        foreach (GroupPlan g in m.AllGroups)
        {
            string role = g.ProjectionOf >= 0 ? $"  (projection for group {g.ProjectionOf})" : string.Empty;
            w.Line($"//   group {g.Index}: {g.Describe()}  {g.Input} -> {g.Output}{role}");
            string route = g.Conv is { Im2col: true } ? " (im2col blocks of 32 pixels × PackedGemm, chosen by the planner)"
                : g.Conv is { Lanes: true } ? " (folded at 512 bits: channels in lanes, chosen by the planner)"
                : g.Conv is { Winograd43Wide: true } ? " (folded: Winograd F(2×2, 3×3) at 512 bits, F(4×4, 3×3) at 256, chosen by the planner)"
                : g.Conv is { Winograd: true } ? " (folded at 512 and 256 bits: Winograd F(2×2, 3×3), chosen by the planner)"
                : g.Conv is { Winograd43: true } ? " (folded at 256 bits: Winograd F(4×4, 3×3) with its epilogue, chosen by the planner)"
                : g.Conv is { Winograd256: true } ? " (folded at 256 bits: Winograd F(2×2, 3×3) with its epilogue, chosen by the planner)"
                : string.Empty;
            w.Line($"//     inference: {Passes(g, g.Inference)}{route}");
            string pooledBy = g.ProjectionOf < 0 && g.Index > 0 && m.Groups[g.Index - 1].TrainingPool is not null ? "normalise pass" : "epilogue";
            string pad = g.NormInNextPad ? $"; {NormStages(g)}: in group {g.Index + 1}'s input pad (forward and backward), not stored" : string.Empty;
            w.Line($"//     training forward: {Passes(g, g.Forward, pooledBy)}{pad}");
            w.Line($"//     backward: {Passes(g, g.Backward, "backward")}");
        }

        WeightFormEmitter.Header(w, m);
        int computing = m.Layers.Count(l => l is not (FlattenLayer or SaveLayer));
        int layerwise = computing + m.Layers.Count(l => l is BatchNormLayer);
        int inference = m.AllGroups.Sum(g => g.Inference.Count), forward = m.AllGroups.Sum(g => g.Forward.Count);
        // A group's reductions formed in the next conv's backward (TrainingNormFusion rule 7) are listed but sweep nothing.
        int backward = m.AllGroups.Sum(g => g.Backward.Count - (g.SumsInNextBackward ? 1 : 0));
        w.Line($"// Passes: inference {inference}, training forward {forward}, backward {backward}; layer by layer would take {computing} / {layerwise} / {layerwise}.");
        BufferPlan b = m.Buffers;
        w.Line("// Buffers, training (floats per sample, sized for the largest batch seen):");
        foreach (TrainingBuffer t in b.Training)
        {
            w.Line($"//   {t.Name} {t.PerSample}: {t.Holds}");
        }

        string pooled = b.ChunkBuffers == 0 ? "no pooled buffers" : $"{b.ChunkBuffers} pooled buffer(s) of {b.ChunkBufferLength} floats per sample";
        w.Line($"// Buffers, inference: chunks of {b.InferChunk} samples, {pooled}; group outputs: {string.Join(", ", b.InferenceOutputs)} (y: the caller's output);");
        w.Line($"//   scratch (floats): {b.ForwardScratch} forward, {b.BackwardScratch} backward.");
    }

    private static string Passes(GroupPlan g, EquatableArray<Pass> passes, string where = "epilogue") =>
        passes.Count == 0 && g.InferenceAlias ? "identity, no pass (its output is its input's buffer)"
        : passes.Count == 0 ? $"in group {g.Index - 1}'s {where}" : string.Join(", then ", passes.Select(p => Describe(g, p)));

    /// <summary>One pass in words, for the header and the comment above the pass's code.</summary>
    internal static string Describe(GroupPlan g, Pass pass)
    {
        string stages = string.Join(" + ", pass.Stages.Select(s => pass.Has(StageKind.NormReductions) ? Derivative(g, s)
            : s == StageKind.Pool && pass.Kind == PassKind.Elementwise && g.TrainingPool is { } pool ? $"{pool.Name}({pool.KernelSize})" : Stage(g, s)));
        if (pass.Kind == PassKind.Elementwise && pass.Has(StageKind.NormReductions) && g.DuRecomputed)
        {
            stages = (g.SavedGradientIn is { } saved ? $"dY + gradient from \"{saved.Name}\" (in place) + " : string.Empty) + stages + " (sums only, dU not stored)";
            if (g.SumsInNextBackward)
            {
                return $"{stages}: per sample in group {g.Index + 1}'s Conv2d backward, no pass";
            }
        }

        if (g.ResidualNormOf >= 0 && pass.Has(StageKind.Add) && pass.Kind == PassKind.Elementwise)
        {
            stages = stages.Replace($"add \"{g.Branch!.Name}\"", $"add \"{g.Branch.Name}\" (recomputed from group {g.ResidualNormOf}'s z)");
        }

        if (g.SumRecomputed && pass.Kind == PassKind.Elementwise && pass.Has(StageKind.NormReductions))
        {
            string derivative = Stage(g, StageKind.ActivationGradient);
            stages = stages.Replace(derivative, g.PooledSavedGradient
                ? $"{derivative} (at the pool's output, on the pooled gradient, stored at the pooled size)"
                : $"{derivative} (at u recomputed from z and group {g.ResidualNormOf}'s z)");
        }

        return pass.Kind switch
        {
            PassKind.Anchor when g.Anchor == AnchorKind.Concat => $"Concat with \"{g.Branch!.Name}\"",
            PassKind.Anchor when g.Anchor == AnchorKind.Standalone => StandaloneEmitter.Describe(g, pass),
            PassKind.Anchor when pass.Has(StageKind.AnchorGradients) && pass.Stages.Count > 1 =>
                $"{g.Op!.Name} dW, dB, dX, dZ formed first: {string.Join(" + ", pass.Stages.Where(s => s != StageKind.AnchorGradients).Select(s => Derivative(g, s)))}",
            PassKind.Anchor when pass.Has(StageKind.AnchorGradients) => $"{g.Op!.Name} dW, dB, dX",
            PassKind.Anchor => pass.Stages.Count == 0 ? g.Op!.Name : $"{g.Op!.Name}, epilogue: {stages}",
            PassKind.Elementwise => $"elementwise: {stages}",
            PassKind.Own => stages,
            _ => "copy",
        };
    }

    // What a group whose output is never stored leaves to the next conv's pad: its normalise and activation.
    private static string NormStages(GroupPlan g) => g.Activation is null ? "normalise" : $"normalise + {g.Activation.Name}";

    // A stage of a backward anchor pass: the derivative (a fused channel activation's, with its slope gradient).
    private static string Derivative(GroupPlan g, StageKind stage) => stage is StageKind.ChannelActivation or StageKind.Maxout ? Stage(g, stage) + "'" : Stage(g, stage);

    private static string Stage(GroupPlan g, StageKind stage) => stage switch
    {
        StageKind.Bias => "bias",
        StageKind.ScaleShift => "BatchNorm scale/shift",
        StageKind.BatchStatistics => "channel sums",
        StageKind.Normalize => "normalise",
        StageKind.Add => g.Branch!.ProjectionGroup >= 0 ? $"add group {g.Branch.ProjectionGroup}'s projection of \"{g.Branch.Name}\"" : $"add \"{g.Branch.Name}\"",
        StageKind.AddGradient => $"gradient to \"{g.Branch!.Name}\"",
        StageKind.Activation => g.Activation!.Name,
        StageKind.ActivationGradient => g.Activation!.Name + "'",
        StageKind.NormReductions => "BatchNorm reductions",
        StageKind.NormInputGradient => "BatchNorm input gradient",
        StageKind.Pool => g.Conv!.PoolName,
        StageKind.ChannelActivation => g.Conv?.ChannelName ?? g.TrainingChannel?.Name ?? g.ColumnsName,
        StageKind.Maxout => MaxoutFusion.Name(g),
        _ => "dW, dB, dX",
    };
}
