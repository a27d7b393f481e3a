using System.Collections.Generic;
using System.Linq;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// Emits one Conv2d layer's kernels: im2col panels of 32 output pixels, multiplied by register
/// blocks of output channels (R rows × 32 columns held in accumulators), with the epilogue fused
/// (inference: scale/shift from folded BatchNorm and the activation; training: bias plus the
/// per-channel sums for batch statistics). Vector512, Vector256 and scalar variants.
/// </summary>
internal static class ConvEmitter
{
    private const string K = "global::FusedOps.Kernels";
    private const string U = "global::System.Runtime.CompilerServices.Unsafe";

    /// <summary>Row blocks of at most <paramref name="max"/> rows covering <paramref name="rows"/> as evenly as possible.</summary>
    public static List<(int Start, int Rows)> Blocks(int rows, int max)
    {
        int count = (rows + max - 1) / max;
        int q = rows / count, rem = rows % count;
        var blocks = new List<(int, int)>();
        int start = 0;
        for (int b = 0; b < count; b++)
        {
            int size = b < rem ? q + 1 : q;
            blocks.Add((start, size));
            start += size;
        }

        return blocks;
    }

    public static void WriteTables(CodeWriter w, GroupView g)
    {
        ConvGeometry c = g.Conv!;
        int i = g.Op!.Index;
        w.Line($"// Layer {i} index tables: receptive-field origin per output pixel, offset per tap (padded {c.Cg}×{c.Hp}×{c.Wp} planes).");
        w.Line($"private static readonly int[] s_l{i}Pixels = {K}.ConvHelpers.PixelOffsets({c.OH}, {c.OW}, {c.Stride}, {c.Wp});");
        w.Line($"private static readonly int[] s_l{i}Taps = {K}.ConvHelpers.TapOffsets({c.Cg}, {c.K}, {c.Dilation}, {c.Hp}, {c.Wp});");
        w.Line($"private static readonly bool[] s_l{i}Contiguous = {K}.ConvHelpers.ContiguousPanels(s_l{i}Pixels);");
        w.Line($"private static readonly int[] s_l{i}PackedOffsets = {K}.ConvHelpers.PackedOffsets({c.Kc});");
        w.Line();
    }

    /// <summary>The per-sample forward driver: pad, then for each panel pack and run every row block.</summary>
    public static void WriteForward(CodeWriter w, GroupView g)
    {
        ConvGeometry c = g.Conv!;
        int i = g.Op!.Index;
        w.Line($"/// <summary>Layer {i} Conv2d forward for one sample: {c.C}×{c.H}×{c.W} → {c.OC}×{c.OH}×{c.OW}; {c.Panels} panels × {c.Kc} taps{(c.Groups > 1 ? $", {c.Groups} groups" : string.Empty)}.</summary>");
        w.Open($"private static void L{i}_Conv(ref float x, ref float w, ref float scale, ref float shift, ref float y, ref float scratch, bool train, ref double sum, ref double sumSq)");
        if (c.Pad > 0)
        {
            w.Line($"{K}.ConvHelpers.Pad(ref x, {c.C}, {c.H}, {c.W}, {c.Pad}, ref scratch);");
            w.Line("ref float xp = ref scratch;");
        }
        else
        {
            w.Line("ref float xp = ref x;");
        }

        w.Line($"ref float panel = ref {U}.Add(ref scratch, {c.PadLength});");
        w.Line($"int level = {K}.KernelDispatch.Level;");
        w.Open($"for (int g = 0; g < {c.Groups}; g++)");
        w.Line($"ref float xg = ref {U}.Add(ref xp, g * {c.Cg * c.Hp * c.Wp});");
        w.Line($"ref float wg = ref {U}.Add(ref w, g * {c.OCg * c.Kc});");
        w.Line($"int c0 = g * {c.OCg};");
        w.Open($"for (int pb = 0; pb < {c.Panels}; pb++)");
        w.Line("// A panel of 32 consecutive input positions (stride 1, one row) is read in place through the tap offsets; any other is gathered into the packed panel first.");
        w.Line("ref float b = ref panel;");
        w.Line($"ref int offsets = ref s_l{i}PackedOffsets[0];");
        w.Open($"if (s_l{i}Contiguous[pb])");
        w.Line($"b = ref {U}.Add(ref xg, s_l{i}Pixels[pb * 32]);");
        w.Line($"offsets = ref s_l{i}Taps[0];");
        w.Close();
        w.Open("else");
        w.Line($"{K}.ConvHelpers.PackPanel(ref xg, s_l{i}Taps, s_l{i}Pixels, false, pb, ref panel);");
        w.Close();
        w.Line($"int valid = global::System.Math.Min(32, {c.P} - (pb * 32));");
        w.Line($"ref float yb = ref {U}.Add(ref y, (c0 * {c.P}) + (pb * 32));");
        w.Line("// A partial last panel is computed into a 32-wide tail buffer, so the register blocks store whole vectors and make no calls.");
        w.Line("bool full = valid == 32;");
        w.Line($"ref float tail = ref {U}.Add(ref panel, {c.Kc * 32});");
        w.Line("ref float dst = ref full ? ref yb : ref tail;");
        w.Line($"int ld = full ? {c.P} : 32;");
        foreach ((string cond, int bits, int max) in new[] { ("level == 2", 512, KernelLimits.MaxRows512), ("level == 1", 256, KernelLimits.MaxRows256) })
        {
            w.Open($"{(bits == 512 ? "if" : "else if")} ({cond})");
            w.Open("if (train)");
            WriteBlockCalls(w, c, max, KernelLimits.Unrolled(c.OCg), (start, weights, rows) =>
                $"L{i}_Train{bits}x{rows}(ref {U}.Add(ref wg, {weights}), ref b, ref offsets, ref {U}.Add(ref dst, {start} * ld), ld, ref {U}.Add(ref shift, c0 + {start}), ref {U}.Add(ref sum, c0 + {start}), ref {U}.Add(ref sumSq, c0 + {start}));");
            w.Close();
            w.Open("else");
            WriteBlockCalls(w, c, max, KernelLimits.Unrolled(c.OCg), (start, weights, rows) =>
                $"L{i}_Infer{bits}x{rows}(ref {U}.Add(ref wg, {weights}), ref b, ref offsets, ref {U}.Add(ref dst, {start} * ld), ld, ref {U}.Add(ref scale, c0 + {start}), ref {U}.Add(ref shift, c0 + {start}));");
            w.Close();
            w.Close();
        }

        w.Open("else");
        w.Line($"L{i}_Scalar(ref wg, ref b, ref offsets, ref yb, valid, ref {U}.Add(ref scale, c0), ref {U}.Add(ref shift, c0), train, ref {U}.Add(ref sum, c0), ref {U}.Add(ref sumSq, c0));");
        w.Line("continue;");
        w.Close();
        w.Open("if (!full)");
        w.Line($"{K}.ConvHelpers.CopyColumns(ref tail, {c.OCg}, 32, valid, ref yb, {c.P});");
        w.Close();
        w.Close();
        w.Close();
        w.Close();
        w.Line();

        var sizes512 = Blocks(c.OCg, KernelLimits.MaxRows512).Select(b => b.Rows).Distinct().OrderBy(r => r);
        var sizes256 = Blocks(c.OCg, KernelLimits.MaxRows256).Select(b => b.Rows).Distinct().OrderBy(r => r);
        foreach (int rows in sizes512)
        {
            WriteBlock(w, g, 512, rows, train: false);
            WriteBlock(w, g, 512, rows, train: true);
        }

        foreach (int rows in sizes256)
        {
            WriteBlock(w, g, 256, rows, train: false);
            WriteBlock(w, g, 256, rows, train: true);
        }

        WriteScalar(w, g);
    }

    /// <summary>Calls every register block of a panel: unrolled with constant offsets, or as two loops (FOPS0015) for very wide layers.</summary>
    private static void WriteBlockCalls(CodeWriter w, ConvGeometry c, int max, bool unrolled, System.Func<string, string, int, string> call)
    {
        List<(int Start, int Rows)> blocks = Blocks(c.OCg, max);
        if (unrolled)
        {
            foreach ((int start, int rows) in blocks)
            {
                w.Line(call(CodeWriter.I(start), CodeWriter.I(start * c.Kc), rows));
            }

            return;
        }

        int large = blocks[0].Rows, largeCount = blocks.Count(b => b.Rows == large);
        w.Open($"for (int blk = 0; blk < {largeCount}; blk++)");
        w.Line(call($"(blk * {large})", $"blk * {large * c.Kc}", large));
        w.Close();
        if (largeCount < blocks.Count)
        {
            int small = blocks[blocks.Count - 1].Rows;
            w.Open($"for (int blk = 0; blk < {blocks.Count - largeCount}; blk++)");
            w.Line(call($"({largeCount * large} + (blk * {small}))", $"{largeCount * large * c.Kc} + (blk * {small * c.Kc})", small));
            w.Close();
        }
    }

    private static void WriteBlock(CodeWriter w, GroupView g, int bits, int rows, bool train)
    {
        ConvGeometry c = g.Conv!;
        int i = g.Op!.Index;
        int lanes = bits / 32;
        int nv = 32 / lanes;
        string V = $"global::System.Runtime.Intrinsics.Vector{bits}";
        string VT = $"{V}<float>";
        string name = $"L{i}_{(train ? "Train" : "Infer")}{bits}x{rows}";
        w.Line($"/// <summary>{rows} output channels × 32 pixels in {rows * nv} Vector{bits} accumulators over {c.Kc} taps; {(train ? "stores conv + bias and adds the channel sums" : "applies scale, shift" + (g.ActEntry is null ? string.Empty : " and " + g.Act!.Name))}.</summary>");
        string tail = train ? "ref float shift, ref double sum, ref double sumSq" : "ref float scale, ref float shift";
        w.Open($"private static void {name}(ref float a, ref float b, ref int offsets, ref float y, int ld, {tail})");
        for (int r = 0; r < rows; r++)
        {
            w.Line(string.Join(" ", Enumerable.Range(0, nv).Select(j => $"{VT} c{r}_{j} = {VT}.Zero;")));
        }

        w.Open($"for (nint k = 0; k < {c.Kc}; k++)");
        w.Line($"ref float bk = ref {U}.Add(ref b, {U}.Add(ref offsets, k));");
        w.Line(string.Join(" ", Enumerable.Range(0, nv).Select(j => $"{VT} b{j} = {V}.LoadUnsafe(ref bk, {j * lanes});")));
        for (int r = 0; r < rows; r++)
        {
            string index = r == 0 ? "k" : $"{r * c.Kc} + k";
            w.Line($"{VT} a{r} = {V}.Create({U}.Add(ref a, {index}));" + string.Concat(Enumerable.Range(0, nv).Select(j => $" c{r}_{j} = {K}.Simd.Fma(a{r}, b{j}, c{r}_{j});")));
        }

        w.Close();
        w.Line();
        w.Line("// Epilogue: each output written once.");
        for (int r = 0; r < rows; r++)
        {
            string yr = r == 0 ? "ref y" : $"ref {U}.Add(ref y, {r} * ld)";
            if (train)
            {
                w.Line($"{VT} t{r} = {V}.Create({U}.Add(ref shift, {r}));");
                w.Line($"{U}.Add(ref sum, {r}) += {K}.Simd.Sum({string.Join(" + ", Enumerable.Range(0, nv).Select(j => $"c{r}_{j}"))});");
                w.Line($"{U}.Add(ref sumSq, {r}) += {K}.Simd.Sum({string.Join(" + ", Enumerable.Range(0, nv).Select(j => $"(c{r}_{j} * c{r}_{j})"))});");
                for (int j = 0; j < nv; j++)
                {
                    w.Line($"c{r}_{j} += t{r};");
                }
            }
            else
            {
                w.Line($"{VT} s{r} = {V}.Create({U}.Add(ref scale, {r})); {VT} t{r} = {V}.Create({U}.Add(ref shift, {r}));");
                for (int j = 0; j < nv; j++)
                {
                    w.Line($"c{r}_{j} = {g.ActForward($"{K}.Simd.Fma(c{r}_{j}, s{r}, t{r})")};");
                }
            }

            for (int j = 0; j < nv; j++)
            {
                w.Line($"{V}.StoreUnsafe(c{r}_{j}, {yr}{(j == 0 ? string.Empty : $", {j * lanes}")});");
            }
        }

        w.Close();
        w.Line();
    }

    private static void WriteScalar(CodeWriter w, GroupView g)
    {
        ConvGeometry c = g.Conv!;
        int i = g.Op!.Index;
        w.Line($"/// <summary>Scalar fallback for machines without Vector256: all {c.OCg} channels of a panel.</summary>");
        w.Open($"private static void L{i}_Scalar(ref float a, ref float b, ref int offsets, ref float y, int valid, ref float scale, ref float shift, bool train, ref double sum, ref double sumSq)");
        w.Open($"for (int r = 0; r < {c.OCg}; r++)");
        w.Open("for (int col = 0; col < valid; col++)");
        w.Line("float acc = 0f;");
        w.Open($"for (int k = 0; k < {c.Kc}; k++)");
        w.Line($"acc = global::System.MathF.FusedMultiplyAdd({U}.Add(ref a, (r * {c.Kc}) + k), {U}.Add(ref b, {U}.Add(ref offsets, k) + col), acc);");
        w.Close();
        w.Line($"ref float dst = ref {U}.Add(ref y, (r * {c.P}) + col);");
        w.Open("if (train)");
        w.Line($"{U}.Add(ref sum, r) += acc;");
        w.Line($"{U}.Add(ref sumSq, r) += (double)acc * acc;");
        w.Line($"dst = acc + {U}.Add(ref shift, r);");
        w.Close();
        w.Open("else");
        w.Line($"dst = {g.ActForward($"global::System.MathF.FusedMultiplyAdd(acc, {U}.Add(ref scale, r), {U}.Add(ref shift, r))")};");
        w.Close();
        w.Close();
        w.Close();
        w.Close();
        w.Line();
    }

    /// <summary>
    /// Per-sample backward. The weight gradient is computed transposed, dWᵀ[tap][oc] += Σ_p col[tap][p]·dZ[oc][p],
    /// as the same broadcast-and-panel product as the forward pass (taps are rows, 32 output channels are the
    /// panel, pixels are the depth), accumulated over the batch in scratch and added to dW once at the end.
    /// The input gradient is Wᵀ·dZ per panel of 32 pixels, scattered back onto the padded input (col2im).
    /// </summary>
    public static void WriteBackward(CodeWriter w, GroupView g)
    {
        ConvGeometry c = g.Conv!;
        int i = g.Op!.Index;
        BackwardLayout s = new(c);
        w.Line($"/// <summary>Layer {i}: clears the batch's transposed weight-gradient accumulators.</summary>");
        w.Open($"private static void L{i}_WeightGradStart(ref float scratch)");
        w.Line($"global::System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref {U}.Add(ref scratch, {s.Dwt}), {c.Groups * s.Blocks * c.Kc * 32}).Clear();");
        w.Close();
        w.Line();
        w.Line($"/// <summary>Layer {i}: adds the batch's transposed weight gradient into dW.</summary>");
        w.Open($"private static void L{i}_WeightGradFinish(ref float scratch, ref float dw)");
        w.Open($"for (int g = 0; g < {c.Groups}; g++)");
        w.Line($"{K}.ConvHelpers.AddTransposed(ref {U}.Add(ref scratch, {s.Dwt} + (g * {s.Blocks * c.Kc * 32})), {c.Kc}, {c.OCg}, ref {U}.Add(ref dw, g * {c.OCg * c.Kc}));");
        w.Close();
        w.Close();
        w.Line();
        w.Line($"/// <summary>Layer {i} Conv2d backward for one sample: dWᵀ += col·dZᵀ, dB += Σ dZ, dX = col2im(Wᵀ·dZ).</summary>");
        w.Open($"private static void L{i}_ConvBackward(ref float x, ref float dz, ref float w, ref float db, bool bias, ref float dx, bool inputGradient, ref float scratch)");
        w.Line($"ref float cols = ref {U}.Add(ref scratch, {s.Cols});");
        w.Line($"ref float dzPanels = ref {U}.Add(ref scratch, {s.Dzp});");
        w.Line($"ref float dcol = ref {U}.Add(ref scratch, {s.Dcol});");
        w.Line($"ref float dzT = ref {U}.Add(ref scratch, {s.Dzt});");
        w.Open("if (bias)");
        w.Line($"{K}.Gemm.RowSums(ref dz, {c.OC}, {c.P}, ref db);");
        w.Close();
        w.Open("if (inputGradient)");
        w.Line($"{K}.Gemm.PackRows(ref dz, {c.OC}, {c.P}, ref dzPanels);");
        w.Close();
        if (c.Pad > 0)
        {
            w.Line($"ref float xp = ref {U}.Add(ref scratch, {s.Xp});");
            w.Line($"ref float dxp = ref {U}.Add(ref scratch, {s.Dxp});");
            w.Line($"{K}.ConvHelpers.Pad(ref x, {c.C}, {c.H}, {c.W}, {c.Pad}, ref xp);");
            w.Open("if (inputGradient)");
            w.Line($"global::System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref dxp, {c.PadLength}).Clear();");
            w.Close();
        }
        else
        {
            w.Line("ref float xp = ref x;");
            w.Line("ref float dxp = ref dx;");
            w.Open("if (inputGradient)");
            w.Line($"global::System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref dx, {c.C * c.H * c.W}).Clear();");
            w.Close();
        }

        w.Open($"for (int g = 0; g < {c.Groups}; g++)");
        w.Line($"ref float xg = ref {U}.Add(ref xp, g * {c.Cg * c.Hp * c.Wp});");
        w.Line($"// im2col, tap-major: cols[tap · {s.Npp} + p].");
        w.Open($"for (int pb = 0; pb < {c.Panels}; pb++)");
        w.Line($"{K}.ConvHelpers.PackPanel(ref xg, s_l{i}Taps, s_l{i}Pixels, s_l{i}Contiguous[pb], pb, ref {U}.Add(ref cols, pb * 32), {s.Npp});");
        w.Close();
        w.Line($"{K}.ConvHelpers.PackTransposed(ref {U}.Add(ref dz, g * {c.OCg * c.P}), {c.OCg}, {c.P}, {s.Npp}, ref dzT);");
        w.Open($"for (int ob = 0; ob < {s.Blocks}; ob++)");
        w.Line($"{K}.Gemm.PanelGemm(ref cols, {s.Npp}, 1, {c.Kc}, {s.Npp}, ref {U}.Add(ref dzT, ob * {s.Npp * 32}), ref {U}.Add(ref scratch, {s.Dwt} + (((g * {s.Blocks}) + ob) * {c.Kc * 32})), 32, true);");
        w.Close();
        w.Open("if (inputGradient)");
        w.Line($"ref float dxg = ref {U}.Add(ref dxp, g * {c.Cg * c.Hp * c.Wp});");
        w.Open($"for (int pb = 0; pb < {c.Panels}; pb++)");
        w.Line($"{K}.Gemm.PanelGemm(ref {U}.Add(ref w, g * {c.OCg * c.Kc}), 1, {c.Kc}, {c.Kc}, {c.OCg}, ref {U}.Add(ref dzPanels, (pb * {c.OC * 32}) + (g * {c.OCg * 32})), ref dcol, 32, false);");
        w.Line($"{K}.ConvHelpers.ScatterPanel(ref dcol, s_l{i}Taps, s_l{i}Pixels, s_l{i}Contiguous[pb], pb, ref dxg);");
        w.Close();
        w.Close();
        w.Close();
        if (c.Pad > 0)
        {
            w.Open("if (inputGradient)");
            w.Line($"global::System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref dx, {c.C * c.H * c.W}).Clear();");
            w.Line($"{K}.ConvHelpers.CropAdd(ref dxp, {c.C}, {c.H}, {c.W}, {c.Pad}, ref dx);");
            w.Close();
        }

        w.Close();
        w.Line();
    }
}

/// <summary>Offsets of the backward pass's scratch regions for one Conv2d layer (floats).</summary>
internal sealed class BackwardLayout
{
    public BackwardLayout(ConvGeometry c)
    {
        Npp = c.Panels * 32;
        Blocks = (c.OCg + 31) / 32;
        Xp = 0;
        Dxp = c.PadLength;
        Cols = 2 * c.PadLength;
        Dzp = Cols + (c.Kc * Npp);
        Dcol = Dzp + (c.Panels * c.OC * 32);
        Dzt = Dcol + (c.Kc * 32);
        Dwt = Dzt + (Blocks * Npp * 32);
        Total = Dwt + (c.Groups * Blocks * c.Kc * 32);
    }

    /// <summary>Pixels rounded up to whole panels.</summary>
    public int Npp { get; }

    /// <summary>Blocks of 32 output channels per group.</summary>
    public int Blocks { get; }

    public int Xp { get; }

    public int Dxp { get; }

    public int Cols { get; }

    public int Dzp { get; }

    public int Dcol { get; }

    public int Dzt { get; }

    public int Dwt { get; }

    public int Total { get; }
}
