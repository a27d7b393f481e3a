using System.Collections.Generic;
using System.Linq;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Plan;

/// <summary>
/// Inference fusion of a Maxout into the Conv2d group before it: the convolution computes its <c>pieces</c> channels per
/// output channel as usual, and its register blocks' epilogue takes the maximum over each run of <c>pieces</c> rows and
/// stores only that (a run cut by a block boundary is finished against the stored value, still in L1). The Maxout group
/// then has no inference pass; training keeps its own pass (Backward needs the winning piece).
/// </summary>
internal static class MaxoutFusion
{
    /// <summary>
    /// Whether <paramref name="conv"/>'s inference takes the Maxout group after it: its output read by nothing else (no
    /// Save), each run of pieces inside one conv group, and register-block calls unrolled (each block's offset within its
    /// run is a constant of the emitted kernel; a FOPS0015 layer keeps the Maxout pass).
    /// </summary>
    public static bool Fuses(GroupPlan conv, GroupPlan next, IEnumerable<SavePoint> saves) =>
        conv.Conv is { Unrolled: true, PoolKernel: 0, Channel: ChannelEpilogue.None } c && conv.ProjectionOf < 0
        && next.Op is MaxoutLayer maxout && next.Index == conv.Index + 1 && c.OCg % maxout.Pieces == 0
        && !saves.Any(s => s.AfterGroup == conv.Index);

    /// <summary>Marks every fusable conv + Maxout pair: the Maxout joins the conv's inference epilogue and loses its own pass.</summary>
    public static void Apply(List<GroupPlan> groups, List<SavePoint> saves) =>
        ChannelFusion.FuseNext(groups, saves, StageKind.Maxout, Fuses, (c, next) => c with { MaxoutPieces = ((MaxoutLayer)next).Pieces });

    /// <summary>The fused Maxout as the header names it.</summary>
    public static string Name(GroupPlan g) => $"Maxout({g.Conv!.MaxoutPieces})";
}
