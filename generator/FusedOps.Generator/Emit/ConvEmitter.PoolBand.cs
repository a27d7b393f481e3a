using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// The inference forward of a Conv2d group with a fused pool other than the 2×2 one (<see cref="PoolBand"/>): for each pooled
/// row, the register blocks compute the output rows under its windows into a band in scratch (read in place on the padded-width
/// grid, or gathered), then ConvHelpers.PoolBand reduces the band into the pooled row while it is in cache. The conv output
/// itself is never written to memory outside the band.
/// </summary>
internal static partial class ConvEmitter
{
    private static void WriteBandKernels(CodeWriter w, ConvPlan c)
    {
        PoolBand band = c.Band!;
        int i = c.Layer;
        w.Line($"// Layer {i} pool bands ({c.PoolName}): the pool's geometry over the {c.OH}×{c.OW} output"
            + (band.InPlaceBands < c.POH ? ", and the receptive-field origin of each band position (−1: none) of the gathered bands." : "."));
        w.Line($"private static readonly Pooling.Window s_l{i}PoolWindow = new({c.OH}, {c.OW}, {c.POH}, {c.POW}, {c.PoolKernel}, {c.PoolStride}, {c.PoolPadding});");
        if (band.InPlaceBands < c.POH)
        {
            w.Line($"private static readonly int[] s_l{i}BandPixels = ConvHelpers.PoolBandPixels({c.Stride}, {c.Wp}, s_l{i}PoolWindow, {band.Width}, {band.RowStep}, {band.Panels});");
        }

        w.Line();
        WritePoolHead(w, c, "bands", "one band per pooled row; `panel` is this caller's panel, then its band" + (c.Residual ? " and the residual's band." : "."));
        w.Line($"ref float band = ref Unsafe.Add(ref panel, {c.Kc * 32});");
        if (c.Residual)
        {
            w.Line($"ref float resBand = ref Unsafe.Add(ref band, {c.OCg * band.Ld});");
        }

        w.Line($"const int ld = {band.Ld};");
        w.Line("int level = KernelDispatch.Level;");
        w.Open($"for (int g = 0; g < {c.Groups}; g++)");
        w.Line($"ref float xg = ref Unsafe.Add(ref xp, g * {c.Cg * c.Hp * c.Wp});");
        w.Line($"ref float wg = ref Unsafe.Add(ref w, g * {c.OCg * c.Kc});");
        w.Line($"int c0 = g * {c.OCg};");
        w.Open("for (int po = pb0; po < pb1; po++)");
        w.Line($"// Output rows [r0, r0 + rows) are under pooled row po's windows; the band holds them {band.RowStep} positions apart.");
        w.Line(c.PoolPadding == 0 ? $"int r0 = po * {c.PoolStride}, rows = Math.Min({c.OH}, r0 + {c.PoolKernel}) - r0;"
            : $"int start = (po * {c.PoolStride}) - {c.PoolPadding}, r0 = Math.Max(0, start), rows = Math.Min({c.OH}, start + {c.PoolKernel}) - r0;");
        w.Line($"int length = ((rows - 1) * {band.RowStep}) + {band.Width};");
        if (c.Residual)
        {
            w.Open("for (int r = 0; r < rows; r++)");
            w.Line($"ConvHelpers.CopyColumns(ref Unsafe.Add(ref res, (c0 * {c.P}) + ((r0 + r) * {c.OW})), {c.OCg}, {c.P}, {band.Width}, ref Unsafe.Add(ref resBand, r * {band.RowStep}), ld);");
            w.Close();
        }

        w.Open("for (int j = 0; j * 32 < length; j++)");
        WriteBandPanel(w, c, band);
        w.Close();
        w.Line();
        w.Line($"ConvHelpers.PoolBand(ref band, {c.OCg}, ld, {band.RowStep}, po, ref Unsafe.Add(ref y, (c0 * {c.PP}) + (po * {c.POW})), {c.PP}, s_l{i}PoolWindow, {(c.PoolMax ? "true" : "false")});");
        w.Close();
        w.Close();
        w.Close();
        w.Line();
        if (!UsesGrid(c))
        {
            WriteGridScalar(w, c);
        }
    }

    /// <summary>One panel of a band: read in place or gathered, then every register block (or the scalar fallback) into the band.</summary>
    private static void WriteBandPanel(CodeWriter w, ConvPlan c, PoolBand band)
    {
        int i = c.Layer;
        w.Line("ref float b = ref panel;");
        w.Line($"ref int offsets = ref s_l{i}PackedOffsets[0];");
        string inPlace = band.PerRow == 0
            ? $"b = ref Unsafe.Add(ref xg, (r0 * {c.Wp}) + (j * 32));"
            : band.PerRow == 1 ? $"b = ref Unsafe.Add(ref xg, (r0 + j) * {c.Wp});"
            : $"b = ref Unsafe.Add(ref xg, ((r0 + (j / {band.PerRow})) * {c.Wp}) + ((j % {band.PerRow}) * 32));";
        string gather = $"ConvHelpers.PackSparsePanel(ref xg, s_l{i}Taps, s_l{i}BandPixels, (po * {band.Panels}) + j, ref panel);";
        if (band.InPlaceBands == c.POH)
        {
            w.Line(inPlace);
            w.Line($"offsets = ref s_l{i}Taps[0];");
        }
        else if (band.InPlaceBands == 0)
        {
            w.Line(gather);
        }
        else
        {
            w.Open($"if (po < {band.InPlaceBands})");
            w.Line(inPlace);
            w.Line($"offsets = ref s_l{i}Taps[0];");
            w.Close();
            w.Open("else");
            w.Line(gather);
            w.Close();
        }

        w.Line("ref float dst = ref Unsafe.Add(ref band, j * 32);");
        if (c.Residual)
        {
            w.Line("ref float rdst = ref Unsafe.Add(ref resBand, j * 32);");
        }

        foreach ((string cond, int bits, EquatableArray<RowBlock> blocks) in Widths(c))
        {
            w.Open($"{(bits == 512 ? "if" : "else if")} ({cond})");
            WriteBlockCalls(w, c, blocks, (start, weights, rows) =>
                $"L{i}_Infer{bits}x{rows}(act, {Refs(start, weights)}, {(c.Residual ? $"ref Unsafe.Add(ref rdst, {start} * ld), " : string.Empty)}"
                + $"ref Unsafe.Add(ref scale, c0 + {start}), ref Unsafe.Add(ref shift, c0 + {start}));");
            w.Close();
        }

        w.Open("else");
        w.Line($"L{i}_GridScalar(act, ref wg, ref b, ref offsets, ref dst, ld, {(c.Residual ? "ref rdst, " : string.Empty)}ref scale, ref shift, c0);");
        w.Close();
    }
}
