using System.Collections.Generic;
using System.Linq;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Plan;

/// <summary>How a Conv2d layer's training passes run, and what rides its epilogue (forward) and its grid's prologue (backward).</summary>
internal static class TrainingConv
{
    /// <summary>
    /// Stride 1 and one group: the runtime's <c>Conv2dTrainer</c> (the padded-width grid, split over samples) runs
    /// Forward and Backward. Other layers run the generated per-sample kernels on one thread.
    /// </summary>
    public static bool OnGrid(ConvPlan c) => c.Stride == 1 && c.Groups == 1;

    /// <summary>
    /// Rewrites the training passes of every Conv2d group with no BatchNorm (with one, batch statistics come first and its
    /// activation rides the normalise pass; a next group's channel activation or Maxout rides it too, and its derivative BatchNorm's
    /// reduction pass, for any Conv2d with BatchNorm and no activation or Add). The group's own residual Add and activation move into the conv's epilogue: forward,
    /// z = conv + bias, u = z + saved, y = act(u) per sample while it is in cache; backward, dU = act′(dY) at u, added to the saved
    /// tensor's gradient, as it goes onto the grid. A group with neither takes the next group's channel activation (PReLU, RReLU,
    /// BipolarReLU) or Maxout where inference does (<see cref="ChannelFusion"/>, <see cref="MaxoutFusion"/>) and the group adds
    /// nothing of its own: that group then has no training pass. A residual Add through a projection keeps its passes (the
    /// projection's backward reads dU for the whole batch). A grid conv runs these in the <c>Conv2dTrainer</c>; any other (strided,
    /// grouped) in its per-sample loop, right after each sample's conv (forward) and before its backward (dZ formed first); there,
    /// with BatchNorm, BatchNorm's input gradient is formed per sample too (<see cref="NormGradientIntoConv"/>).
    /// </summary>
    public static void Apply(List<GroupPlan> groups, List<SavePoint> saves)
    {
        for (int i = 0; i < groups.Count; i++)
        {
            GroupPlan g = groups[i];
            // A 1×1 output takes a Maxout too (the normalise pass then runs a sample's row of channels at once, as after a Linear).
            if (g.Conv is { } conv && g.Norm is not null && g.ProjectionOf < 0 && i + 1 < groups.Count && (g.Spatial > 1 || groups[i + 1].Op is MaxoutLayer)
                && NextStage(g, conv, groups[i + 1], saves) is { } normNext && g.Forward.Count == 2 && g.Backward.Count == 3)
            {
                // With BatchNorm: the channel activation (or Maxout) rides the normalise pass, its derivative (the routing of dY to
                // the winning piece) BatchNorm's reduction pass.
                groups[i] = g with
                {
                    Forward = new[] { g.Forward[0], Append(g.Forward[1], normNext) }.ToEquatableArray(),
                    Backward = new[] { Prepend(g.Backward[0], normNext), g.Backward[1], g.Backward[2] }.ToEquatableArray(),
                };
                groups[i + 1] = groups[i + 1] with { Forward = EquatableArray<Pass>.Empty, Backward = EquatableArray<Pass>.Empty };
                continue;
            }

            // Off the grid the same stages ride the generated per-sample kernels' loop (Emit/TrainingEmitter.PerSample.cs).
            if (g.Conv is not { } c || g.Norm is not null || g.ProjectionOf >= 0 || g.Branch is { ProjectionGroup: >= 0 })
            {
                continue;
            }

            Pass anchor = g.Forward[0], gradients = g.Backward[g.Backward.Count - 1];
            if (g.Forward.Count == 2 && g.Backward.Count == 2 && g.Forward[1].Stages.All(s => s is StageKind.Add or StageKind.Activation))
            {
                groups[i] = g with
                {
                    Forward = One(anchor, anchor.Stages.Concat(g.Forward[1].Stages)),
                    Backward = One(gradients, g.Backward[0].Stages.Concat(gradients.Stages)),
                };
                continue;
            }

            StageKind? stage = i + 1 < groups.Count ? NextStage(g, c, groups[i + 1], saves) : null;
            if (g.Forward.Count == 1 && stage is { } next
                && FusionRules.Where(Mode.TrainingForward, AnchorKind.Conv2d, next) == Placement.Epilogue
                && FusionRules.Where(Mode.Backward, AnchorKind.Conv2d, next) == Placement.Epilogue)
            {
                groups[i] = g with
                {
                    Forward = One(anchor, anchor.Stages.Concat(new[] { next })),
                    Backward = One(gradients, new[] { next }.Concat(gradients.Stages)),
                };
                groups[i + 1] = groups[i + 1] with { Forward = EquatableArray<Pass>.Empty, Backward = EquatableArray<Pass>.Empty };
            }
        }

        NormGradientIntoConv(groups);
    }

    /// <summary>
    /// Off the grid, a Conv2d group with BatchNorm: BatchNorm's input gradient (which needs the reductions of the whole batch first)
    /// is formed per sample as the conv's backward reads it, instead of in a pass of its own over the batch.
    /// </summary>
    private static void NormGradientIntoConv(List<GroupPlan> groups)
    {
        for (int i = 0; i < groups.Count; i++)
        {
            GroupPlan g = groups[i];
            if (g.Conv is { } c && !OnGrid(c) && g.Norm is not null && g.ProjectionOf < 0 && g.Backward.Count == 3
                && g.Backward[1] is { Kind: PassKind.Own } own && own.Has(StageKind.NormInputGradient) && g.Backward[2].Kind == PassKind.Anchor)
            {
                groups[i] = g with { Backward = new[] { g.Backward[0], Prepend(g.Backward[2], StageKind.NormInputGradient) }.ToEquatableArray() };
            }
        }
    }

    /// <summary>
    /// The next group's work this grid conv group runs, when inference fuses the pair too: a channel activation or a Maxout right
    /// after a group with no activation and no Add of its own, whose output nothing else reads.
    /// </summary>
    private static StageKind? NextStage(GroupPlan g, ConvPlan c, GroupPlan next, IEnumerable<SavePoint> saves)
    {
        if (g.Activation is not null || g.Join is not null || next.Index != g.Index + 1 || saves.Any(s => s.AfterGroup == g.Index))
        {
            return null;
        }

        return next.Op switch
        {
            ChannelActivationLayer when c.Channel != ChannelEpilogue.None => StageKind.ChannelActivation,
            MaxoutLayer maxout when c.MaxoutPieces == maxout.Pieces => StageKind.Maxout,
            _ => null,
        };
    }

    private static Pass Append(Pass pass, StageKind stage) => pass with { Stages = pass.Stages.Concat(new[] { stage }).ToEquatableArray() };

    private static Pass Prepend(Pass pass, StageKind stage) => pass with { Stages = new[] { stage }.Concat(pass.Stages).ToEquatableArray() };

    private static EquatableArray<Pass> One(Pass pass, IEnumerable<StageKind> stages) =>
        new[] { pass with { Stages = stages.ToEquatableArray() } }.ToEquatableArray();
}
