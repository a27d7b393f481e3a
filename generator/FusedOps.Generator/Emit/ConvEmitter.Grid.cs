using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// The inference forward of a stride-1, padded Conv2d whose output rows are not whole panels, on the padded-width
/// grid: panel pb is grid positions [32·pb, 32·pb + 32), read in place from the padded input through the tap offsets
/// (no gather); the <c>Wp − OW</c> positions past each row are computed and dropped (ConvHelpers.CompressColumns).
/// The register blocks are the im2col path's (same sums in the same order, so the same bits).
/// </summary>
internal static partial class ConvEmitter
{
    /// <summary>
    /// Whether inference runs on grid panels: stride 1 with padding (the padded input is the kernels' own scratch, so a
    /// panel may read past the last row) and rows that are not whole 32-pixel panels (those are read in place already).
    /// A conv with a fused Maxout keeps the panel path, whose epilogue stores each run's maximum in place.
    /// </summary>
    public static bool UsesGrid(ConvPlan c) => c.Stride == 1 && c.Pad > 0 && c.OW % 32 != 0 && c.MaxoutPieces == 0;

    /// <summary>Grid panels of one sample (the im2col path's panel count otherwise).</summary>
    public static int InferencePanels(ConvPlan c) => UsesGrid(c) && !c.Shifted ? (((c.OH - 1) * c.Wp) + c.OW + 31) / 32 : c.Panels;

    /// <summary>The call that pads one sample's input for the grid panels: as a padded-width grid, or as shifted copies (<see cref="ConvPlan.Shifted"/>).</summary>
    public static string GridPad(ConvPlan c, string x, string destination) => c.Shifted
        ? $"ConvHelpers.PadShifted(ref {x}, {c.C}, {c.H}, {c.W}, {c.Pad}, {c.K}, ref {destination});"
        : $"ConvHelpers.Pad(ref {x}, {c.C}, {c.H}, {c.W}, {c.Pad}, ref {destination});";

    /// <summary>
    /// Taps per cache block of the grid path: whole input channels whose weights for all output channels fit in 16 KB, so
    /// a panel's tap block (weights, its input rows and the partial sums) stays in L1 while every register block runs over
    /// it; all taps at once when the whole weight is that small.
    /// </summary>
    public static int GridChunkTaps(ConvPlan c)
    {
        int perChannel = c.OCg * c.K * c.K;
        return perChannel * c.Cg <= 4096 ? c.Kc : System.Math.Max(1, 4096 / perChannel) * c.K * c.K;
    }

    private static void WriteGridKernels(CodeWriter w, ConvPlan c)
    {
        if (!UsesGrid(c))
        {
            return;
        }

        int chunk = GridChunkTaps(c);
        if (chunk < c.Kc)
        {
            foreach ((_, int bits, Model.EquatableArray<RowBlock> blocks) in Widths(c))
            {
                foreach (RowBlock size in Distinct(blocks))
                {
                    WriteBlock(w, c, bits, size.Rows, train: false, chunked: true);
                }
            }
        }

        int i = c.Layer;
        bool shifted = c.Shifted;
        if (shifted)
        {
            w.Line($"// Layer {i} shifted copies: offset per tap into {c.K} column-shifted copies of the padded input ({c.C}×{c.Hp}×{c.W} each).");
            w.Line($"private static readonly int[] s_l{i}ShiftedTaps = ConvHelpers.ShiftedTapOffsets({c.C}, {c.H}, {c.W}, {c.Pad}, {c.K});");
        }
        else
        {
            w.Line($"// Layer {i} grid panels: first output pixel and valid lanes per panel, then the valid lanes in order.");
            w.Line($"private static readonly int[] s_l{i}GridOutputs = ConvHelpers.GridPanelOutputs({c.OH}, {c.OW}, {c.Wp});");
            w.Line($"private static readonly int[] s_l{i}GridLanes = ConvHelpers.GridPanelLanes({c.OH}, {c.OW}, {c.Wp});");
        }

        w.Line();
        string residual = c.Residual ? ", ref float res" : string.Empty;
        w.Line(shifted
            ? $"// Layer {i} Conv2d, one sample, inference on column-shifted copies: {c.C}×{c.H}×{c.W} -> {c.OC}×{c.OH}×{c.OW}; {InferencePanels(c)} panels × {c.Kc} taps."
            : $"// Layer {i} Conv2d, one sample, inference on the padded-width grid: {c.C}×{c.H}×{c.W} -> {c.OC}×{c.OH}×{c.OW}; {InferencePanels(c)} grid panels × {c.Kc} taps.");
        w.Line(FullyOptimised);
        w.Line($"internal static void L{i}_GridConv<TAct>(TAct act, ref float x, ref float w, ref float scale, ref float shift, ref float y, ref float scratch{residual})");
        w.Line("    where TAct : struct, IActivationOperator");
        w.Open();
        w.Line(GridPad(c, "x", "scratch"));
        w.Line($"L{i}_GridPanels(act, ref scratch, ref w, ref scale, ref shift, ref y, ref Unsafe.Add(ref scratch, {(shifted ? c.ShiftedLength : c.PadLength)}), 0, {InferencePanels(c)}"
            + (c.Residual ? ", ref res);" : ");"));
        w.Close();
        w.Line();
        w.Line(shifted
            ? $"// Layer {i}: panels [pb0, pb1) of one sample's shifted copies (ConvHelpers.PadShifted); `tail` is this caller's scratch."
            : $"// Layer {i}: grid panels [pb0, pb1) of one padded sample (at least 32 readable floats after it); `tail` is this caller's scratch.");
        w.Line(FullyOptimised);
        w.Line($"internal static void L{i}_GridPanels<TAct>(TAct act, ref float xp, ref float w, ref float scale, ref float shift, ref float y,");
        w.Line($"    ref float tail, int pb0, int pb1{residual})");
        w.Line("    where TAct : struct, IActivationOperator");
        w.Open();
        w.Line("int level = KernelDispatch.Level;");
        w.Line($"ref int offsets = ref s_l{i}{(shifted ? "ShiftedTaps" : "Taps")}[0];");
        if (c.Residual)
        {
            w.Line($"ref float resTail = ref Unsafe.Add(ref tail, {c.OC * 32});");
        }

        w.Open($"for (int g = 0; g < {c.Groups}; g++)");
        w.Line($"ref float xg = ref Unsafe.Add(ref xp, g * {c.Cg * c.Hp * c.Wp});");
        w.Line($"ref float wg = ref Unsafe.Add(ref w, g * {c.OCg * c.Kc});");
        w.Line($"int c0 = g * {c.OCg};");
        w.Open("for (int pb = pb0; pb < pb1; pb++)");
        if (shifted)
        {
            w.Line($"int first = pb * 32, valid = Math.Min(32, {c.P} - first);");
        }
        else
        {
            w.Line($"int first = s_l{i}GridOutputs[2 * pb], valid = s_l{i}GridOutputs[(2 * pb) + 1];");
            w.Open("if (valid == 0)");
            w.Line("continue;");
            w.Close();
            w.Line();
        }

        w.Line("ref float b = ref Unsafe.Add(ref xg, pb * 32);");
        w.Line($"ref float yb = ref Unsafe.Add(ref y, (c0 * {c.P}) + first);");
        w.Line(shifted
            ? "// A whole panel is 32 consecutive output pixels: stored in place; the last, partial one is computed into the tail and copied."
            : "// 32 valid lanes are one row's consecutive pixels: stored in place; else computed into the tail and compressed.");
        if (chunk < c.Kc && c.Residual)
        {
            // Tap blocks store partial sums before the epilogue reads the residual: kept in the tail, so a residual that is
            // the output's own memory is read intact.
            w.Line("bool full = false;");
        }
        else
        {
            w.Line("bool full = valid == 32;");
        }
        w.Line("ref float dst = ref full ? ref yb : ref tail;");
        w.Line($"int ld = full ? {c.P} : 32;");
        if (c.Residual)
        {
            w.Line($"ref float rb = ref Unsafe.Add(ref res, (c0 * {c.P}) + first);");
            w.Line("ref float rdst = ref full ? ref rb : ref resTail;");
            w.Open("if (!full)");
            w.Line($"ConvHelpers.ExpandColumns(ref rb, {c.OCg}, {c.P}, s_l{i}GridLanes, pb, valid, ref resTail);");
            w.Close();
            w.Line();
        }

        foreach ((string cond, int bits, Model.EquatableArray<RowBlock> blocks) in Widths(c))
        {
            w.Open($"{(bits == 512 ? "if" : "else if")} ({cond})");
            if (chunk < c.Kc)
            {
                // Tap blocks outermost: every register block runs over one block of input channels before the next.
                w.Open($"for (int k0 = 0; k0 < {c.Kc}; k0 += {chunk})");
                w.Line($"int k1 = Math.Min(k0 + {chunk}, {c.Kc});");
                w.Line($"bool kFirst = k0 == 0, kLast = k1 == {c.Kc};");
            }

            string kernel = chunk < c.Kc ? "InferK" : "Infer";
            string range = chunk < c.Kc ? ", k0, k1, kFirst, kLast" : string.Empty;
            WriteBlockCalls(w, c, blocks, (start, weights, rows) =>
                $"L{i}_{kernel}{bits}x{rows}(act, {Refs(start, weights)}, {(c.Residual ? $"ref Unsafe.Add(ref rdst, {start} * ld), " : string.Empty)}"
                + $"ref Unsafe.Add(ref scale, c0 + {start}), ref Unsafe.Add(ref shift, c0 + {start}){range});");
            if (chunk < c.Kc)
            {
                w.Close();
            }

            w.Close();
        }

        w.Open("else");
        w.Line($"L{i}_GridScalar(act, ref wg, ref b, ref offsets, ref dst, ld, {(c.Residual ? "ref rdst, " : string.Empty)}ref scale, ref shift, c0);");
        w.Close();
        w.Line();
        w.Open("if (!full)");
        w.Line(shifted
            ? $"ConvHelpers.CopyColumns(ref tail, {c.OCg}, 32, valid, ref yb, {c.P});"
            : $"ConvHelpers.CompressColumns(ref tail, {c.OCg}, ref yb, {c.P}, s_l{i}GridLanes, pb, valid);");
        w.Close();
        w.Close();
        w.Close();
        w.Close();
        w.Line();
        WriteGridScalar(w, c);
    }

    private static void WriteGridScalar(CodeWriter w, ConvPlan c)
    {
        int i = c.Layer;
        w.Line($"// Layer {i}: scalar fallback for machines without Vector256, all {c.OCg} channels × 32 lanes of a grid panel (rows `ld` apart).");
        w.Line(FullyOptimised);
        w.Line($"private static void L{i}_GridScalar<TAct>(TAct act, ref float a, ref float b, ref int offsets, ref float y, int ld,{(c.Residual ? " ref float res," : string.Empty)}");
        w.Line("    ref float scale, ref float shift, int channel0)");
        w.Line("    where TAct : struct, IActivationOperator");
        w.Open();
        w.Open($"for (int r = 0; r < {c.OCg}; r++)");
        w.Line("int channel = channel0 + r;");
        w.Open("for (int col = 0; col < 32; col++)");
        w.Line("float acc = 0f;");
        w.Open($"for (int k = 0; k < {c.Kc}; k++)");
        w.Line($"acc = MathF.FusedMultiplyAdd(Unsafe.Add(ref a, (r * {c.Kc}) + k), Unsafe.Add(ref b, Unsafe.Add(ref offsets, k) + col), acc);");
        w.Close();
        string plus = c.Residual ? " + Unsafe.Add(ref res, (r * ld) + col)" : string.Empty;
        string op = RowOperator(w, c, 0, $"{c.OC} + channel");
        w.Line($"Unsafe.Add(ref y, (r * ld) + col) = {op}.Invoke(MathF.FusedMultiplyAdd(acc, Unsafe.Add(ref scale, channel), Unsafe.Add(ref shift, channel)){plus});");
        w.Close();
        w.Close();
        w.Close();
        w.Line();
    }
}
