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
    public static void Apply(List<GroupPlan> groups, List<SavePoint> saves)
    {
        for (int i = 0; i + 1 < groups.Count; i++)
        {
            GroupPlan conv = groups[i], next = groups[i + 1];
            if (!Fuses(conv, next, saves) || FusionRules.Where(Mode.Inference, AnchorKind.Conv2d, StageKind.Pool) != Placement.Epilogue)
            {
                continue;
            }

            var pool = (PoolLayer)next.Op!;
            groups[i] = conv with
            {
                Inference = ChannelFusion.WithEpilogueStage(conv, StageKind.Pool),
                Conv = conv.Conv! with { PoolKernel = pool.KernelSize, PoolMax = pool.Kind == PoolKind.Max },
            };
            groups[i + 1] = next with { Inference = EquatableArray<Pass>.Empty };
        }
    }
}
