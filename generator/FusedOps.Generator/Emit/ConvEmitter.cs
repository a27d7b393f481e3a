using System.Collections.Generic;
using System.Linq;

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
        foreach ((string cond, int bits, int max) in new[] { ("level == 2", 512, 12), ("level == 1", 256, 3) })
        {
            w.Open($"{(bits == 512 ? "if" : "else if")} ({cond})");
            w.Open("if (train)");
            foreach ((int start, int rows) in Blocks(c.OCg, max))
            {
                w.Line($"L{i}_Train{bits}x{rows}(ref {U}.Add(ref wg, {start * c.Kc}), ref b, ref offsets, ref {U}.Add(ref dst, {start} * ld), ld, ref {U}.Add(ref shift, c0 + {start}), ref {U}.Add(ref sum, c0 + {start}), ref {U}.Add(ref sumSq, c0 + {start}));");
            }

            w.Close();
            w.Open("else");
            foreach ((int start, int rows) in Blocks(c.OCg, max))
            {
                w.Line($"L{i}_Infer{bits}x{rows}(ref {U}.Add(ref wg, {start * c.Kc}), ref b, ref offsets, ref {U}.Add(ref dst, {start} * ld), ld, ref {U}.Add(ref scale, c0 + {start}), ref {U}.Add(ref shift, c0 + {start}));");
            }

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

        var sizes512 = Blocks(c.OCg, 12).Select(b => b.Rows).Distinct().OrderBy(r => r);
        var sizes256 = Blocks(c.OCg, 3).Select(b => b.Rows).Distinct().OrderBy(r => r);
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

    /// <summary>Per-sample backward: weight and bias gradients, and the input gradient when asked.</summary>
    public static void WriteBackward(CodeWriter w, GroupView g)
    {
        ConvGeometry c = g.Conv!;
        int i = g.Op!.Index;
        int xp = 0, dxp = c.PadLength, cols = 2 * c.PadLength, dzp = cols + (c.Panels * c.Kc * 32), dcol = dzp + (c.Panels * c.OC * 32);
        w.Line($"/// <summary>Layer {i} Conv2d backward for one sample: dW += dZ·colᵀ, dB += Σ dZ, dX = col2im(Wᵀ·dZ).</summary>");
        w.Open($"private static void L{i}_ConvBackward(ref float x, ref float dz, ref float w, ref float dw, ref float db, bool bias, ref float dx, bool inputGradient, ref float scratch)");
        w.Line($"ref float dzPanels = ref {U}.Add(ref scratch, {dzp});");
        w.Line($"ref float colPanels = ref {U}.Add(ref scratch, {cols});");
        w.Line($"ref float dcol = ref {U}.Add(ref scratch, {dcol});");
        w.Line($"{K}.Gemm.PackRows(ref dz, {c.OC}, {c.P}, ref dzPanels);");
        w.Open("if (bias)");
        w.Line($"{K}.Gemm.RowSums(ref dz, {c.OC}, {c.P}, ref db);");
        w.Close();
        if (c.Pad > 0)
        {
            w.Line($"ref float xp = ref {U}.Add(ref scratch, {xp});");
            w.Line($"ref float dxp = ref {U}.Add(ref scratch, {dxp});");
            w.Line($"{K}.ConvHelpers.Pad(ref x, {c.C}, {c.H}, {c.W}, {c.Pad}, ref xp);");
            w.Line($"global::System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref dxp, {c.PadLength}).Clear();");
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
        w.Open($"for (int pb = 0; pb < {c.Panels}; pb++)");
        w.Line($"{K}.ConvHelpers.PackPanel(ref xg, s_l{i}Taps, s_l{i}Pixels, s_l{i}Contiguous[pb], pb, ref {U}.Add(ref colPanels, pb * {c.Kc * 32}));");
        w.Close();
        w.Line($"{K}.Gemm.PanelDotGemm(ref {U}.Add(ref dzPanels, g * {c.OCg * 32}), {c.OC * 32}, 32, ref colPanels, {c.Kc * 32}, 32, {c.Panels}, {c.OCg}, {c.Kc}, ref {U}.Add(ref dw, g * {c.OCg * c.Kc}), {c.Kc});");
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
