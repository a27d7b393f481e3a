using System.Collections.Generic;
using System.Linq;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Plan;

/// <summary>
/// Inference fusion of a pool into the Conv2d group before it: a MaxPool2d or AvgPool2d whose windows do not overlap
/// (stride at least the window; any padding PyTorch allows) after a Conv2d group whose output nothing else reads (no Save
/// of it) runs in the convolution's inference pass and only the pooled output is written. The 2×2 pool with stride 2 and
/// no padding is reduced in the register blocks; any other is reduced from a band of the output rows its pooled row's
/// windows cover, computed into the caller's scratch (cache-sized) just before. The pool group then has no inference pass;
/// training keeps its own pool pass (Backward needs the arg-max). An overlapping pool (stride below the window) keeps its
/// own pass: its bands would share rows, so each output row would be computed twice or the band kept across pooled rows.
/// A MaxPool2d(2) after a convolution the planner routes to Winograd (<see cref="ConvPlan.Winograd"/>) keeps its own pass too:
/// the Winograd route has no pool epilogue, and case P (16 → 32 on 32 × 32, batch 8, one thread, Zen 4, 2026-12-01) ran
/// 688 µs with the pool fused into the direct kernel and 433 µs on Winograd with the pool's vectorised pass after it. Other
/// pools stay fused there: MaxPool2d(3)'s own pass is scalar (P3: 736 µs fused, 954 µs on Winograd and its own pass).
/// </summary>
internal static class PoolFusion
{
    /// <summary>Whether <paramref name="conv"/>'s inference takes the pool group after it.</summary>
    public static bool Fuses(GroupPlan conv, GroupPlan next, IEnumerable<SavePoint> saves) =>
        conv.Conv is not null && conv.ProjectionOf < 0
        && next.Op is PoolLayer { Kind: PoolKind.Max or PoolKind.Average } pool && pool.Stride >= pool.KernelSize
        && next.Index == conv.Index + 1 && !saves.Any(s => s.AfterGroup == conv.Index)
        && !(conv.Conv.Winograd && pool is { Kind: PoolKind.Max, KernelSize: 2, Stride: 2, Padding: 0 });

    /// <summary>Marks every fusable pair: the pool joins the conv group's inference epilogue and loses its own inference pass.</summary>
    public static void Apply(List<GroupPlan> groups, List<SavePoint> saves) =>
        ChannelFusion.FuseNext(groups, saves, StageKind.Pool, Fuses, (c, next) => c with
        {
            PoolKernel = ((PoolLayer)next).KernelSize,
            PoolStride = ((PoolLayer)next).Stride,
            PoolPadding = ((PoolLayer)next).Padding,
            PoolMax = ((PoolLayer)next).Kind == PoolKind.Max,
        });
}

/// <summary>
/// The band of a fused pool not reduced in registers: for pooled row po, the output rows its windows cover (at most the window
/// side, fewer at a padded edge), first <see cref="Width"/> columns (those some window covers), computed into a band of
/// <see cref="Ld"/> floats per output channel, row after row <see cref="RowStep"/> apart, in panels of 32 band positions.
/// A stride-1 convolution reads its panels in place through the tap offsets, in one of two layouts, whichever computes fewer
/// positions: on the padded-width grid (RowStep = padded width, band position t is input position r0·Wp + t: the positions
/// past each row's columns are computed and never pooled), or row by row (<see cref="PerRow"/> panels per row, RowStep =
/// 32·PerRow: the positions past <see cref="Width"/> in each row's last panel are computed and never pooled). Bands from
/// <see cref="InPlaceBands"/> on (an unpadded input whose last band would read past the sample) and every band of a strided
/// convolution (RowStep = Width) are gathered.
/// </summary>
internal sealed record PoolBand(int Rows, int Width, int RowStep, int PerRow, int Panels, int InPlaceBands)
{
    /// <summary>Floats per output channel of a band: whole panels.</summary>
    public int Ld => Panels * 32;

    /// <summary>Scratch floats past the panel: the band of every output channel of a group (and the residual's band).</summary>
    public int Scratch(int channels, bool residual) => channels * Ld * (residual ? 2 : 1);

    /// <summary>The first output row and the row count of pooled row <paramref name="po"/>'s band.</summary>
    public static (int First, int Count) RowsOf(ConvPlan c, int po)
    {
        int start = (po * c.PoolStride) - c.PoolPadding;
        int first = System.Math.Max(0, start);
        return (first, System.Math.Min(c.OH, start + c.PoolKernel) - first);
    }

    public static PoolBand Create(ConvPlan c)
    {
        int width = System.Math.Min(c.OW, ((c.POW - 1) * c.PoolStride) - c.PoolPadding + c.PoolKernel);
        int rows = Enumerable.Range(0, c.POH).Max(po => RowsOf(c, po).Count);
        if (c.Stride != 1)
        {
            return new PoolBand(rows, width, width, 0, ((((rows - 1) * width) + width) + 31) / 32, 0);
        }

        int perRow = (width + 31) / 32;
        int gridPanels = ((((rows - 1) * c.Wp) + width) + 31) / 32;
        bool byRow = rows * perRow < gridPanels;
        int rowStep = byRow ? perRow * 32 : c.Wp;

        // A band read in place reads whole panels, up to 31 positions past its last output: the padded input is the kernels'
        // own scratch (with room after it), but an unpadded one is the caller's, so its bands must stay inside the sample.
        int lastTap = ((c.Cg - 1) * c.Hp * c.Wp) + ((c.K - 1) * c.Dilation * (c.Wp + 1));
        int inPlace = 0;
        while (inPlace < c.POH)
        {
            (int first, int count) = RowsOf(c, inPlace);
            int end = byRow ? ((first + count - 1) * c.Wp) + (perRow * 32) : (first * c.Wp) + (((((count - 1) * c.Wp) + width + 31) / 32) * 32);
            if (c.Pad == 0 && end - 1 + lastTap >= c.Cg * c.Hp * c.Wp)
            {
                break;
            }

            inPlace++;
        }

        return new PoolBand(rows, width, rowStep, byRow ? perRow : 0, byRow ? rows * perRow : gridPanels, inPlace);
    }
}
