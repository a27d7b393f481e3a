using System.Collections.Generic;
using System.Linq;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Plan;

/// <summary>
/// Inference fusion of a Maxout into the Conv2d group before it: the convolution computes its <c>pieces</c> channels per
/// output channel as usual, and its register blocks' epilogue takes the maximum over each run of <c>pieces</c> rows and
/// stores only that (a run cut by a block boundary is finished against the stored value, still in L1). The Maxout group
/// then has no inference pass; training keeps its own pass (Backward needs the winning piece), except after a grid Conv2d
/// group without BatchNorm, whose <c>Conv2dTrainer</c> keeps only the maxima and winning pieces, and after a Conv2d group with
/// BatchNorm, whose normalise pass does (<see cref="TrainingConv"/>).
/// </summary>
internal static class MaxoutFusion
{
    /// <summary>
    /// Whether <paramref name="conv"/>'s inference takes the Maxout group after it: its output read by nothing else (no
    /// Save). Each block's offset within its run is a constant of the emitted kernel, so the inference block calls are
    /// unrolled, even for a FOPS0015 layer; runs that cross the conv's groups (pieces not dividing a group's channels) are
    /// finished by the next group against what the one before stored, its calls written once per phase a group starts at.
    /// </summary>
    public static bool Fuses(GroupPlan conv, GroupPlan next, IEnumerable<SavePoint> saves) =>
        conv.Conv is { PoolKernel: 0, Channel: ChannelEpilogue.None } && conv.ProjectionOf < 0
        && next.Op is MaxoutLayer && next.Index == conv.Index + 1
        && !saves.Any(s => s.AfterGroup == conv.Index);

    /// <summary>Marks every fusable conv + Maxout pair: the Maxout joins the conv's inference epilogue and loses its own pass.</summary>
    public static void Apply(List<GroupPlan> groups, List<SavePoint> saves)
    {
        ChannelFusion.FuseNext(groups, saves, StageKind.Maxout, Fuses, (c, next) => c with { MaxoutPieces = ((MaxoutLayer)next).Pieces });
        for (int i = 0; i + 1 < groups.Count; i++)
        {
            GroupPlan linear = groups[i], next = groups[i + 1];
            if (FusesLinear(linear, next, saves) && FusionRules.Where(Mode.Inference, AnchorKind.Linear, StageKind.Maxout) == Placement.Epilogue)
            {
                groups[i] = linear with { Inference = ChannelFusion.WithEpilogueStage(linear, StageKind.Maxout), LinearMaxout = ((MaxoutLayer)next.Op!).Pieces };
                groups[i + 1] = next with { Inference = EquatableArray<Pass>.Empty };
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="linear"/>'s inference (one packed-GEMM pass, no residual Add) takes the Maxout group after it: its
    /// output not saved. Pieces dividing a 16-column panel (1, 2, 4, 8, 16) put whole runs in each panel (Maxout order); others
    /// give each block of 16 outputs one panel per piece, reduced against the stored outputs (blocked order).
    /// </summary>
    public static bool FusesLinear(GroupPlan linear, GroupPlan next, IEnumerable<SavePoint> saves) =>
        linear.Anchor == AnchorKind.Linear && linear.ProjectionOf < 0 && linear.Inference.Count == 1
        && next.Op is MaxoutLayer && next.Index == linear.Index + 1
        && !saves.Any(s => s.AfterGroup == linear.Index);

    /// <summary>
    /// Columns of a Linear with a fused Maxout, as LinearKernels.MaxoutColumns computes them: whole 16-column panels of 16 / pieces
    /// outputs each (Maxout order), or per block of 16 outputs one panel per piece and the last m outputs' m·pieces columns
    /// rounded up to a panel (blocked order).
    /// </summary>
    public static int Columns(int features, int pieces)
    {
        int outputs = features / pieces;
        if (16 % pieces != 0)
        {
            return ((outputs / 16) * 16 * pieces) + ((((outputs % 16) * pieces) + 15) / 16 * 16);
        }

        int q = 16 / pieces;
        return (outputs + q - 1) / q * 16;
    }

    /// <summary>The fused Maxout as the header names it.</summary>
    public static string Name(GroupPlan g) => $"Maxout({g.Conv?.MaxoutPieces ?? (g.LinearMaxout > 0 ? g.LinearMaxout : g.TrainingMaxout)})";
}
