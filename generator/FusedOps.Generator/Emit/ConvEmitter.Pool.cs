using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// The inference forward of a Conv2d group with a non-overlapping 2×2 pool in its epilogue: pool panels hold two
/// output rows of 16 pixels (lanes 0–15 and 16–31), the register block applies scale, shift, residual and
/// activation, pools the two rows and the column pairs in registers and stores 8 pooled outputs per channel.
/// </summary>
internal static partial class ConvEmitter
{
    private static void WritePoolTables(CodeWriter w, ConvPlan c)
    {
        int i = c.Layer;
        w.Line($"// Layer {i} pool panels ({c.PoolName} in the epilogue): receptive-field origin per lane, in-place row step per panel.");
        // Stride 1 and padded: lanes past the pooled columns read the grid in place too (their outputs are dropped), so no panel is gathered.
        w.Line(c.Stride == 1 && c.Pad > 0
            ? $"private static readonly int[] s_l{i}PoolPixels = ConvHelpers.PoolGridOffsets({c.OH}, {c.OW}, {c.Wp});"
            : $"private static readonly int[] s_l{i}PoolPixels = ConvHelpers.PoolPixelOffsets({c.OH}, {c.OW}, {c.Stride}, {c.Wp});");
        w.Line($"private static readonly int[] s_l{i}PoolSteps = ConvHelpers.PoolPanelSteps(s_l{i}PoolPixels);");
        w.Line();
    }

    /// <summary>The per-sample inference driver with the pool: pad, then for each pool panel read or gather it and run every row block.</summary>
    private static void WritePoolForward(CodeWriter w, ConvPlan c)
    {
        int i = c.Layer;
        WritePoolHead(w, c, "pool panels", "`panel` is this caller's panel and tail scratch.");
        WritePanelLoops(w, c);
        w.Line("// Two whole rows of 16 consecutive input positions are read in place (the second `step` floats after the first); else gathered.");
        w.Line($"int step = s_l{i}PoolSteps[pb];");
        w.Line("ref float b = ref panel;");
        w.Line($"ref int offsets = ref s_l{i}PackedOffsets[0];");
        w.Open("if (step >= 0)");
        w.Line($"b = ref Unsafe.Add(ref xg, s_l{i}PoolPixels[pb * 32]);");
        w.Line($"offsets = ref s_l{i}Taps[0];");
        w.Close();
        w.Open("else");
        w.Line($"ConvHelpers.PackSparsePanel(ref xg, s_l{i}Taps, s_l{i}PoolPixels, pb, ref panel);");
        w.Line("step = 16;");
        w.Close();
        w.Line($"int po = pb / {c.PoolSegments}, seg = pb % {c.PoolSegments};");
        w.Line($"int valid = Math.Min(8, {c.POW} - (seg * 8));");
        w.Line($"ref float yb = ref Unsafe.Add(ref y, (c0 * {c.PP}) + (po * {c.POW}) + (seg * 8));");
        w.Line("// A partial last segment is pooled into an 8-wide tail buffer, so the register blocks store whole vectors.");
        w.Line("bool full = valid == 8;");
        w.Line("ref float dst = ref full ? ref yb : ref tail;");
        w.Line($"int ld = full ? {c.PP} : 8;");
        string resArgs = string.Empty;
        if (c.Residual)
        {
            // The residual at the panel's two output rows: in place for a whole segment, else its 2 × 2·valid pixels gathered beside the tail.
            w.Line($"ref float rb = ref Unsafe.Add(ref res, (c0 * {c.P}) + (po * {2 * c.OW}) + (seg * 16));");
            w.Line($"ref float rdst = ref rb;");
            w.Line($"int resLd = {c.P}, resStep = {c.OW};");
            w.Open("if (!full)");
            w.Line($"rdst = ref Unsafe.Add(ref tail, {c.OC * 8});");
            w.Line($"ConvHelpers.CopyColumns(ref rb, {c.OCg}, {c.P}, 2 * valid, ref rdst, 32);");
            w.Line($"ConvHelpers.CopyColumns(ref Unsafe.Add(ref rb, {c.OW}), {c.OCg}, {c.P}, 2 * valid, ref Unsafe.Add(ref rdst, 16), 32);");
            w.Line("resLd = 32;");
            w.Line("resStep = 16;");
            w.Close();
            resArgs = "ref Unsafe.Add(ref rdst, {0} * resLd), resLd, resStep, ";
        }

        foreach ((string cond, int bits, Model.EquatableArray<RowBlock> blocks) in Widths(c))
        {
            w.Open($"{(bits == 512 ? "if" : "else if")} ({cond})");
            WriteBlockCalls(w, c, blocks, (start, weights, rows) =>
                $"L{i}_Pool{bits}x{rows}(act, ref Unsafe.Add(ref wg, {weights}), ref b, ref offsets, step, ref Unsafe.Add(ref dst, {start} * ld), ld, "
                + string.Format(System.Globalization.CultureInfo.InvariantCulture, resArgs, start)
                + $"ref Unsafe.Add(ref scale, c0 + {start}), ref Unsafe.Add(ref shift, c0 + {start}));");
            w.Close();
        }

        w.Open("else");
        w.Line($"L{i}_PoolScalar(act, ref wg, ref b, ref offsets, step, ref yb, {(c.Residual ? "ref rdst, resLd, resStep, " : string.Empty)}valid, ref scale, ref shift, c0);");
        w.Line("continue;");
        w.Close();
        w.Open("if (!full)");
        w.Line($"ConvHelpers.CopyColumns(ref tail, {c.OCg}, 8, valid, ref yb, {c.PP});");
        w.Close();
        w.Close();
        w.Close();
        w.Close();
        w.Line();
    }

    /// <summary>
    /// The head shared by both forms of a fused pool: the per-sample driver <c>L{i}_ConvPool</c> (pad, then every unit) and the
    /// signature of <c>L{i}_PoolPanels</c> over units [pb0, pb1) (pool panels in registers, or bands), its body left open.
    /// </summary>
    private static void WritePoolHead(CodeWriter w, ConvPlan c, string units, string scratch)
    {
        int i = c.Layer;
        w.Line($"// Layer {i} Conv2d + {c.PoolName}, one sample, inference: {c.C}×{c.H}×{c.W} -> {c.OC}×{c.POH}×{c.POW}; {c.PoolPanels} {units} × {c.Kc} taps.");
        w.Line(FullyOptimised);
        w.Line($"internal static void L{i}_ConvPool<TAct>(TAct act, ref float x, ref float w, ref float scale, ref float shift, ref float y, ref float scratch"
            + (c.Residual ? ", ref float res)" : ")"));
        w.Line("    where TAct : struct, IActivationOperator");
        w.Open();
        if (c.Pad > 0)
        {
            w.Line($"ConvHelpers.Pad(ref x, {c.C}, {c.H}, {c.W}, {c.Pad}, ref scratch);");
        }

        w.Line($"L{i}_PoolPanels(act, {(c.Pad > 0 ? "ref scratch" : "ref x")}, ref w, ref scale, ref shift, ref y, ref Unsafe.Add(ref scratch, {c.PadLength}), 0, {c.PoolPanels}"
            + (c.Residual ? ", ref res);" : ");"));
        w.Close();
        w.Line();
        w.Line($"// Layer {i}: {units} [pb0, pb1) of one sample whose input is already padded; {scratch}");
        w.Line(FullyOptimised);
        w.Line($"internal static void L{i}_PoolPanels<TAct>(TAct act, ref float xp, ref float w, ref float scale, ref float shift, ref float y, ref float panel,");
        w.Line($"    int pb0, int pb1{(c.Residual ? ", ref float res" : string.Empty)})");
        w.Line("    where TAct : struct, IActivationOperator");
        w.Open();
    }

    private static void WritePoolBlock(CodeWriter w, ConvPlan c, int bits, int rows)
    {
        int i = c.Layer;
        // At 128 bits a block holds 8 columns of each row at a time (4 accumulators a channel), the panel's two halves in turn.
        int lanes = bits / 32, cols = BlockColumns(bits) / 2, nv = 2 * cols / lanes, half = nv / 2;
        string v = $"Vector{bits}";
        string vt = $"{v}<float>";
        string h = cols < 16 ? "h + " : string.Empty;
        w.Line($"// Layer {i}: {rows} output channels × 2 rows of 16 pixels{(cols < 16 ? $", {cols} columns at a time," : string.Empty)} in {rows * nv} {v} accumulators over {c.Kc} taps; scale, shift, "
            + $"{(c.Residual ? "residual, " : string.Empty)}activation, then {c.PoolName} to 8 outputs per channel.");
        w.Line(FullyOptimised);
        w.Line($"private static void L{i}_Pool{bits}x{rows}<TAct>(TAct act, ref float a, ref float b, ref int offsets, int step, ref float y, int ld,");
        w.Line($"    {(c.Residual ? "ref float res, int resLd, int resStep, " : string.Empty)}ref float scale, ref float shift)");
        w.Line("    where TAct : struct, IActivationOperator");
        w.Open();
        if (cols < 16)
        {
            w.Open($"for (nuint h = 0; h < 16; h += {cols})");
        }

        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < nv; j++)
            {
                w.Line($"{vt} c{r}_{j} = {vt}.Zero;");
            }
        }

        w.Open($"for (nint k = 0; k < {c.Kc}; k++)");
        w.Line("ref float bk = ref Unsafe.Add(ref b, Unsafe.Add(ref offsets, k));");
        w.Line("ref float bk1 = ref Unsafe.Add(ref bk, step);");
        WriteTapProducts(w, c, bits, nv, rows, j => $"ref {(j < half ? "bk" : "bk1")}, {h}{(j % half) * lanes}");
        w.Close();
        w.Line();
        w.Line("// Epilogue: the output pixels never leave registers; the pooled outputs are written once.");
        string half2 = bits == 512 ? "Vector256" : "Vector128";
        for (int r = 0; r < rows; r++)
        {
            string row = CodeWriter.I(r);
            w.Line($"{vt} s{r} = {v}.Create(Unsafe.Add(ref scale, {row}));");
            w.Line($"{vt} t{r} = {v}.Create(Unsafe.Add(ref shift, {row}));");
            for (int j = 0; j < nv; j++)
            {
                string sum = $"Simd.Fma(c{r}_{j}, s{r}, t{r})";
                if (c.Residual)
                {
                    string at = (r == 0 ? "0" : $"{r} * resLd") + (j < half ? string.Empty : " + resStep") + $" + {(j % half) * lanes}";
                    sum += $" + {v}.LoadUnsafe(ref res, {h}(nuint)({at}))";
                }

                w.Line($"c{r}_{j} = act.Invoke({sum});");
            }

            string yr = r == 0 ? "ref y" : $"ref Unsafe.Add(ref y, {r} * ld)";
            if (cols < 16)
            {
                // Rows first, then the column pairs of the half's two vectors (8 columns) into its 4 pooled outputs.
                string m0 = c.PoolMax ? $"ConvHelpers.PoolMax(c{r}_0, c{r}_2)" : $"c{r}_0 + c{r}_2";
                string m1 = c.PoolMax ? $"ConvHelpers.PoolMax(c{r}_1, c{r}_3)" : $"c{r}_1 + c{r}_3";
                w.Line($"{vt} p{r} = {(c.PoolMax ? $"ConvHelpers.PairMax({m0}, {m1})" : $"ConvHelpers.PairSum({m0}, {m1}, 0.25f)")};");
                w.Line($"{v}.StoreUnsafe(p{r}, {yr}, h / 2);");
                continue;
            }

            for (int j = 0; j < half; j++)
            {
                // Rows first (lanes j and j + half hold the same columns of the two rows), then column pairs.
                string m = c.PoolMax ? $"ConvHelpers.PoolMax(c{r}_{j}, c{r}_{j + half})" : $"c{r}_{j} + c{r}_{j + half}";
                string p = c.PoolMax ? $"ConvHelpers.PairMax({m})" : $"ConvHelpers.PairSum({m}, 0.25f)";
                w.Line($"{half2}<float> p{r}_{j} = {p};");
                w.Line($"{half2}.StoreUnsafe(p{r}_{j}, {yr}{(j == 0 ? string.Empty : $", {j * lanes / 2}")});");
            }
        }

        if (cols < 16)
        {
            w.Close();
        }

        w.Close();
        w.Line();
    }

    private static void WritePoolScalar(CodeWriter w, ConvPlan c)
    {
        int i = c.Layer;
        w.Line($"// Layer {i}: scalar fallback with {c.PoolName}, all {c.OCg} channels of a pool panel, windows in PyTorch's row-major order.");
        w.Line(FullyOptimised);
        w.Line($"private static void L{i}_PoolScalar<TAct>(TAct act, ref float a, ref float b, ref int offsets, int step, ref float y, "
            + (c.Residual ? "ref float res, int resLd, int resStep, " : string.Empty) + "int valid,");
        w.Line("    ref float scale, ref float shift, int channel0)");
        w.Line("    where TAct : struct, IActivationOperator");
        w.Open();
        w.Open($"for (int r = 0; r < {c.OCg}; r++)");
        w.Line("int channel = channel0 + r;");
        w.Open("for (int q = 0; q < valid; q++)");
        w.Line("float pooled = 0f;");
        w.Open("for (int d = 0; d < 4; d++)");
        w.Line("int col = (2 * q) + (d & 1), rowStep = (d >> 1) * step;");
        w.Line("float acc = 0f;");
        w.Open($"for (int k = 0; k < {c.Kc}; k++)");
        w.Line($"acc = MathF.FusedMultiplyAdd(Unsafe.Add(ref a, (r * {c.Kc}) + k), Unsafe.Add(ref b, Unsafe.Add(ref offsets, k) + rowStep + col), acc);");
        w.Close();
        string plus = c.Residual ? " + Unsafe.Add(ref res, (r * resLd) + ((d >> 1) * resStep) + col)" : string.Empty;
        w.Line($"float v = act.Invoke(MathF.FusedMultiplyAdd(acc, Unsafe.Add(ref scale, channel), Unsafe.Add(ref shift, channel)){plus});");
        w.Line(c.PoolMax ? "pooled = d == 0 ? v : ConvHelpers.PoolMax(pooled, v);" : "pooled += v;");
        w.Close();
        w.Line($"Unsafe.Add(ref y, (r * {c.PP}) + q) = {(c.PoolMax ? "pooled" : "pooled * 0.25f")};");
        w.Close();
        w.Close();
        w.Close();
        w.Line();
    }

    /// <summary>The pooled inference kernels of a layer whose plan has a pool (nothing otherwise).</summary>
    private static void WritePoolKernels(CodeWriter w, ConvPlan c)
    {
        if (c.PoolKernel == 0)
        {
            return;
        }

        if (!c.PoolInRegisters)
        {
            WriteBandKernels(w, c);
            return;
        }

        WritePoolTables(w, c);
        WritePoolForward(w, c);
        foreach ((_, int bits, Model.EquatableArray<RowBlock> blocks) in Widths(c))
        {
            foreach (RowBlock size in Distinct(blocks))
            {
                WritePoolBlock(w, c, bits, size.Rows);
            }
        }

        WritePoolScalar(w, c);
    }
}
