using System.Collections.Generic;
using System.Linq;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Plan;

/// <summary>
/// Inference fusion of a pool into the Conv2d group before it: a MaxPool2d(2) or AvgPool2d(2) (stride 2, no
/// padding: windows that do not overlap) after a Conv2d group whose output nothing else reads (no Save of
/// it) runs in the convolution's epilogue. The pool group then has no inference pass; training keeps its
/// own pool pass (Backward needs the arg-max).
/// </summary>
internal static class PoolFusion
{
    /// <summary>Whether <paramref name="conv"/>'s inference takes the pool group after it.</summary>
    public static bool Fuses(GroupPlan conv, GroupPlan next, IEnumerable<SavePoint> saves) =>
        conv.Conv is not null && conv.ProjectionOf < 0
        && next.Op is PoolLayer { Kind: PoolKind.Max or PoolKind.Average, KernelSize: 2, Stride: 2, Padding: 0 }
        && next.Index == conv.Index + 1 && conv.Output.H >= 2 && conv.Output.W >= 2
        && !saves.Any(s => s.AfterGroup == conv.Index);

    /// <summary>Marks every fusable pair: the pool joins the conv group's inference epilogue and loses its own inference pass.</summary>
    public static void Apply(List<GroupPlan> groups, List<SavePoint> saves) =>
        ChannelFusion.FuseNext(groups, saves, StageKind.Pool, Fuses, (c, next) => c with
        {
            PoolKernel = ((PoolLayer)next).KernelSize,
            PoolMax = ((PoolLayer)next).Kind == PoolKind.Max,
        });
}
