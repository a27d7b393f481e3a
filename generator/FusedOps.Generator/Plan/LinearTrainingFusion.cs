using System.Collections.Generic;
using System.Linq;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Plan;

/// <summary>
/// Training fusion of a PReLU (one slope or one per feature), RReLU (its slopes drawn per element from the model's stream before the
/// GEMM, exactly as its own pass draws them) or BipolarReLU into the Linear group before it: the forward GEMM's epilogue keeps z (the
/// activation's input, which Backward reads) and writes the activation's output; Backward forms dZ from the activation's dY, with the
/// bias and slope gradients, in the pass before the Linear's GEMMs. The activation's group then has no training passes. A Linear with
/// a BatchNorm, a residual Add or an activation of its own keeps the activation's passes. A Linear's own residual Add (of a saved
/// tensor, no BatchNorm) and activation ride its GEMMs too: the epilogue keeps u = z + saved and stores act(u); Backward forms dU at
/// u, adds it to the saved tensor's gradient and sums dB in one pass before the GEMMs. A Maxout rides the same epilogue: with pieces
/// dividing 16 in weight order (a run of consecutive features never leaves a 16-column panel, nor a thread's part), each run
/// reduced as its tile is stored; with other pieces in blocked order (W packed per step with one panel per piece of each block of
/// 16 outputs, each panel reduced against the stored maxima); either way only the maximum and its piece are written (z is not
/// kept), and Backward routes dY to the winner while it sums dB. After a Linear with BatchNorm (no activation, Add or Save), the channel activation rides the BatchNorm normalise
/// pass and its derivative the BatchNorm reduction pass instead: the Conv2d side's kernels (TrainingPasses.ChannelAffineForward,
/// ChannelBackwardReduce) with a plane of one value per feature, the BatchNorm output never stored. A Maxout (any pieces) rides them
/// the same way (TrainingPasses.MaxoutAffineForward, MaxoutBackwardReduce, a sample's row at once): the normalise pass writes only
/// the maxima and winning pieces, the reduction pass routes dY to the winners before BatchNorm's sums.
/// </summary>
internal static class LinearTrainingFusion
{
    /// <summary>
    /// Whether <paramref name="linear"/>'s training takes the channel activation group after it: a plain Linear group (no BatchNorm,
    /// Add or activation; not a projection) whose output nothing else reads (no Save).
    /// </summary>
    public static bool Fuses(GroupPlan linear, GroupPlan next, IEnumerable<SavePoint> saves) =>
        linear.Anchor == AnchorKind.Linear && linear.ProjectionOf < 0 && linear.Norm is null && linear.Join is null && linear.Activation is null
        && next.Op is ChannelActivationLayer or MaxoutLayer && next.Index == linear.Index + 1
        && !saves.Any(s => s.AfterGroup == linear.Index);

    /// <summary>Marks every fusable Linear + channel activation pair: the stage joins the Linear's training anchors, the pair's group loses its passes.</summary>
    public static void Apply(List<GroupPlan> groups, List<SavePoint> saves)
    {
        for (int i = 0; i < groups.Count; i++)
        {
            if (WithResidual(groups[i]))
            {
                // Forward: u = z + saved kept and act(u) stored from the GEMM tile; backward: dU = act′(dY) at u, added to the saved
                // tensor's gradient while dB is summed, before the GEMMs (as TrainingConv does for a grid Conv2d).
                GroupPlan g = groups[i];
                groups[i] = g with
                {
                    Forward = One(g.Forward[0], g.Forward[0].Stages.Concat(g.Forward[1].Stages)),
                    Backward = One(g.Backward[1], g.Backward[0].Stages.Concat(g.Backward[1].Stages)),
                };
            }
        }

        for (int i = 0; i + 1 < groups.Count; i++)
        {
            GroupPlan linear = groups[i], next = groups[i + 1];
            StageKind stage = next.Op is MaxoutLayer ? StageKind.Maxout : StageKind.ChannelActivation;
            if (AfterBatchNorm(linear, next, saves))
            {
                // Forward: GEMM, statistics, then normalise + activation (Maxout: only the maxima and winners stored); backward: the
                // derivative (Maxout: dY routed to the winners) before the reductions.
                groups[i] = linear with
                {
                    Forward = linear.Forward.Take(2).Append(With(linear.Forward[2], stage, last: true)).ToEquatableArray(),
                    Backward = new[] { With(linear.Backward[0], stage, last: false), linear.Backward[1], linear.Backward[2] }.ToEquatableArray(),
                };
                groups[i + 1] = next with { Forward = EquatableArray<Pass>.Empty, Backward = EquatableArray<Pass>.Empty };
                continue;
            }

            if (!Fuses(linear, next, saves)
                || FusionRules.Where(Mode.TrainingForward, AnchorKind.Linear, stage) != Placement.Epilogue
                || FusionRules.Where(Mode.Backward, AnchorKind.Linear, stage) != Placement.Epilogue)
            {
                continue;
            }

            groups[i] = linear with
            {
                Forward = WithStage(linear.Forward, stage, last: true),
                Backward = WithStage(linear.Backward, stage, last: false),
                TrainingChannel = next.Op as ChannelActivationLayer,
                TrainingMaxout = (next.Op as MaxoutLayer)?.Pieces ?? 0,
            };
            groups[i + 1] = next with { Forward = EquatableArray<Pass>.Empty, Backward = EquatableArray<Pass>.Empty };
        }
    }

    /// <summary>
    /// Whether the channel activation or Maxout group after <paramref name="linear"/> rides its BatchNorm's normalise and reduction passes: a
    /// Linear group with BatchNorm and nothing after it (no Add, activation or Save), the passes as planned (GEMM, statistics,
    /// normalise forward; reductions, input gradient, GEMMs backward).
    /// </summary>
    public static bool AfterBatchNorm(GroupPlan linear, GroupPlan next, IEnumerable<SavePoint> saves) =>
        linear.Anchor == AnchorKind.Linear && linear.ProjectionOf < 0 && linear.Norm is not null && linear.Join is null && linear.Activation is null
        && next.Op is ChannelActivationLayer or MaxoutLayer && next.Index == linear.Index + 1 && !saves.Any(s => s.AfterGroup == linear.Index)
        && linear.Forward.Count == 3 && linear.Forward[2].Has(StageKind.Normalize)
        && linear.Backward.Count == 3 && linear.Backward[0].Has(StageKind.NormReductions);

    /// <summary>
    /// Whether <paramref name="g"/>'s residual add and activation ride its training GEMMs: a Linear group (not a projection) with no
    /// BatchNorm that adds a saved tensor (not through a projection) and then activates, its passes as planned (GEMM, then the
    /// elementwise add + activation; the elementwise derivative + gradient to the saved tensor, then the GEMMs).
    /// </summary>
    public static bool WithResidual(GroupPlan g) =>
        g.Anchor == AnchorKind.Linear && g.ProjectionOf < 0 && g.Norm is null && g.Join is AddLayer && g.Branch is { ProjectionGroup: < 0 }
        && g.Activation is not null
        && g.Forward.Count == 2 && g.Forward[0].Kind == PassKind.Anchor && g.Forward[1].Stages.All(s => s is StageKind.Add or StageKind.Activation)
        && g.Backward.Count == 2 && g.Backward[1].Kind == PassKind.Anchor
        && g.Backward[0].Stages.All(s => s is StageKind.ActivationGradient or StageKind.AddGradient);

    private static EquatableArray<Pass> One(Pass pass, IEnumerable<StageKind> stages) =>
        new[] { pass with { Stages = stages.ToEquatableArray() } }.ToEquatableArray();

    // The Linear's only pass (its anchor) with the stage appended (forward) or put before the GEMMs' stage (backward).
    private static EquatableArray<Pass> WithStage(EquatableArray<Pass> passes, StageKind stage, bool last) =>
        new[] { With(passes.Single(p => p.Kind == PassKind.Anchor), stage, last) }.ToEquatableArray();

    private static Pass With(Pass pass, StageKind stage, bool last) =>
        pass with { Stages = (last ? pass.Stages.Append(stage) : new[] { stage }.Concat(pass.Stages)).ToEquatableArray() };
}
