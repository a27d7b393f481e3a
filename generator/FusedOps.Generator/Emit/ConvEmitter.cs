using System.Linq;
using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// Emits the Conv2d kernels <c>{Flat}_Kernels</c>: im2col panels of 32 output pixels, multiplied by register
/// blocks of output channels (R rows × 32 columns held in accumulators), with the epilogue fused
/// (inference: scale/shift from folded BatchNorm and the activation operator; training: bias plus the
/// per-channel sums for batch statistics). Vector512, Vector256 and scalar variants.
/// </summary>
internal static partial class ConvEmitter
{
    /// <summary>
    /// On every loop-carrying kernel: compiled fully optimised on its first call instead of starting as
    /// tier-0 code, so the calls after the first run at full speed (tiering otherwise takes ~30 calls).
    /// </summary>
    internal const string FullyOptimised = "[MethodImpl(MethodImplOptions.AggressiveOptimization)]";

    public static bool Any(PipelineModel m) => m.AllGroups.Any(g => g.Conv is not null);

    public static string Write(PipelineModel m)
    {
        CodeWriter w = KernelFile.Open(m, "Conv2d kernels");
        w.Summary($"Conv2d kernels of {m.FullName}, specialised on its constant shapes; shared by training and inference.");
        KernelFile.TypeAttributes(w);
        w.Open($"internal static class {m.KernelsType}");
        foreach (GroupPlan g in m.AllGroups.Where(g => g.Conv is not null))
        {
            WriteTables(w, g.Conv!);
            WriteForward(w, g.Conv!);
            foreach ((_, int bits, EquatableArray<RowBlock> blocks) in Widths(g.Conv!))
            {
                foreach (RowBlock size in Distinct(blocks))
                {
                    foreach (int phase in Phases(g.Conv!, blocks, size.Rows))
                    {
                        WriteBlock(w, g.Conv!, bits, size.Rows, train: false, phase: phase);
                    }

                    WriteBlock(w, g.Conv!, bits, size.Rows, train: true);
                }
            }

            WriteScalar(w, g.Conv!);
            WriteGridKernels(w, g.Conv!);
            WritePoolKernels(w, g.Conv!);
            WriteBackward(w, g.Conv!);
        }

        w.Close();
        return KernelFile.Close(w);
    }

    /// <summary>
    /// The widths with register blocks, widest first, each with the generated code's condition that selects it: <c>level</c>
    /// (<c>KernelDispatch.Level</c>) 2 and 1, then 128 bits (<c>KernelDispatch.RuntimeBits</c>, Level 0 there).
    /// </summary>
    private static (string Cond, int Bits, EquatableArray<RowBlock> Blocks)[] Widths(ConvPlan c) =>
        new[] { ("level == 2", 512, c.Blocks512), ("level == 1", 256, c.Blocks256), ("KernelDispatch.RuntimeBits == 128", 128, c.Blocks128) };

    /// <summary>
    /// Panel columns a register block holds at once: all 32, or 16 at 128 bits (4 vectors a row, so 3 rows fit 16 registers),
    /// the block then running the panel's two halves one after the other (<c>h</c> = 0, 16).
    /// </summary>
    private static int BlockColumns(int bits) => bits == 128 ? 16 : 32;

    /// <summary>
    /// The element offset argument of vector <paramref name="j"/> of a row (empty for the first of a whole-panel block); at 128
    /// bits it adds the half's column <c>h</c>.
    /// </summary>
    private static string Column(int bits, int j)
    {
        int at = j * (bits / 32);
        return bits == 128 ? (at == 0 ? ", h" : $", h + {at}") : at == 0 ? string.Empty : $", {at}";
    }

    private static System.Collections.Generic.IEnumerable<RowBlock> Distinct(EquatableArray<RowBlock> blocks) =>
        blocks.GroupBy(b => b.Rows).Select(b => b.First()).OrderBy(b => b.Rows);

    private static void WriteTables(CodeWriter w, ConvPlan c)
    {
        int i = c.Layer;
        w.Line($"// Layer {i} index tables: receptive-field origin per output pixel, offset per tap (padded {c.Cg}×{c.Hp}×{c.Wp} planes).");
        w.Line($"private static readonly int[] s_l{i}Pixels = ConvHelpers.PixelOffsets({c.OH}, {c.OW}, {c.Stride}, {c.Wp});");
        w.Line($"private static readonly int[] s_l{i}Taps = ConvHelpers.TapOffsets({c.Cg}, {c.K}, {c.Dilation}, {c.Hp}, {c.Wp});");
        w.Line($"private static readonly bool[] s_l{i}Contiguous = ConvHelpers.ContiguousPanels(s_l{i}Pixels);");
        w.Line($"private static readonly int[] s_l{i}PackedOffsets = ConvHelpers.PackedOffsets({c.Kc});");
        w.Line();
    }

    /// <summary>The per-sample forward driver: pad, then for each panel pack and run every row block.</summary>
    private static void WriteForward(CodeWriter w, ConvPlan c)
    {
        int i = c.Layer;
        string groups = c.Groups > 1 ? $", {c.Groups} groups" : string.Empty;
        w.Line($"// Layer {i} Conv2d, one sample: {c.C}×{c.H}×{c.W} -> {c.OC}×{c.OH}×{c.OW}; {c.Panels} panels × {c.Kc} taps{groups}.");
        string residual = c.Residual ? ", ref float res" : string.Empty;
        w.Line("// train: stores conv + shift (the bias) and adds the channel sums; else applies scale, shift" + (c.Residual ? ", adds res" : string.Empty) + " and act.");
        w.Line(FullyOptimised);
        w.Line("internal static void " + $"L{i}_Conv<TAct>(TAct act, ref float x, ref float w, ref float scale, ref float shift, ref float y,");
        w.Line($"    ref float scratch, bool train, ref double sum, ref double sumSq{residual})");
        w.Line("    where TAct : struct, IActivationOperator");
        w.Open();
        if (c.Pad > 0)
        {
            w.Line($"ConvHelpers.Pad(ref x, {c.C}, {c.H}, {c.W}, {c.Pad}, ref scratch);");
        }

        string xp = c.Pad > 0 ? "ref scratch" : "ref x";
        w.Line($"L{i}_Panels(act, {xp}, ref w, ref scale, ref shift, ref y, ref Unsafe.Add(ref scratch, {c.PadLength}), train, ref sum, ref sumSq, 0, {c.Panels}"
            + (c.Residual ? ", ref res);" : ");"));
        w.Close();
        w.Line();
        w.Line($"// Layer {i}: panels [pb0, pb1) of one sample whose input is already padded; `panel` is this caller's panel and tail scratch.");
        w.Line(FullyOptimised);
        w.Line("internal static void " + $"L{i}_Panels<TAct>(TAct act, ref float xp, ref float w, ref float scale, ref float shift, ref float y,");
        w.Line($"    ref float panel, bool train, ref double sum, ref double sumSq, int pb0, int pb1{residual})");
        w.Line("    where TAct : struct, IActivationOperator");
        w.Open();
        WritePanelLoops(w, c);
        w.Line("// A panel of 32 consecutive input positions (stride 1, one row) is read in place through the tap offsets;");
        w.Line("// any other is gathered into the packed panel first.");
        w.Line("ref float b = ref panel;");
        w.Line($"ref int offsets = ref s_l{i}PackedOffsets[0];");
        w.Open($"if (s_l{i}Contiguous[pb])");
        w.Line($"b = ref Unsafe.Add(ref xg, s_l{i}Pixels[pb * 32]);");
        w.Line($"offsets = ref s_l{i}Taps[0];");
        w.Close();
        w.Open("else");
        w.Line($"ConvHelpers.PackPanel(ref xg, s_l{i}Taps, s_l{i}Pixels, false, pb, ref panel);");
        w.Close();
        w.Line($"int valid = Math.Min(32, {c.P} - (pb * 32));");
        // With a fused Maxout, inference stores OC / pieces channels (training still all OC).
        string c0Out = c.MaxoutPieces > 0 ? $"(train ? c0 : c0 / {c.MaxoutPieces})" : "c0";
        w.Line($"ref float yb = ref Unsafe.Add(ref y, ({c0Out} * {c.P}) + (pb * 32));");
        w.Line("// A partial last panel is computed into a 32-wide tail buffer, so the register blocks store whole vectors.");
        w.Line("bool full = valid == 32;");
        w.Line("ref float dst = ref full ? ref yb : ref tail;");
        w.Line($"int ld = full ? {c.P} : 32;");
        if (c.Residual)
        {
            // The residual is read with the output's layout: in place for a whole panel, else gathered beside the tail.
            w.Line($"ref float rb = ref Unsafe.Add(ref res, (c0 * {c.P}) + (pb * 32));");
            w.Line($"ref float resTail = ref Unsafe.Add(ref tail, {c.OC * 32});");
            w.Line("ref float rdst = ref full ? ref rb : ref resTail;");
            w.Open("if (!full && !train)");
            w.Line($"ConvHelpers.CopyColumns(ref rb, {c.OCg}, {c.P}, valid, ref resTail, 32);");
            w.Close();
        }

        WriteMaxoutTailStart(w, c);
        foreach ((string cond, int bits, EquatableArray<RowBlock> blocks) in Widths(c))
        {
            w.Open($"{(bits == 512 ? "if" : "else if")} ({cond})");
            w.Open("if (train)");
            WriteBlockCalls(w, c, blocks, (start, weights, rows) =>
                $"L{i}_Train{bits}x{rows}({Refs(start, weights)}, ref Unsafe.Add(ref shift, c0 + {start}), ref Unsafe.Add(ref sum, c0 + {start}), ref Unsafe.Add(ref sumSq, c0 + {start}));");
            w.Close();
            w.Open("else");
            if (c.MaxoutPieces > 0)
            {
                WriteMaxoutCalls(w, c, bits, blocks);
            }
            else
            {
                WriteBlockCalls(w, c, blocks, (start, weights, rows) =>
                    $"L{i}_Infer{bits}x{rows}(act, {Refs(start, weights)}, {(c.Residual ? $"ref Unsafe.Add(ref rdst, {start} * ld), " : string.Empty)}"
                    + $"ref Unsafe.Add(ref scale, c0 + {start}), ref Unsafe.Add(ref shift, c0 + {start}));");
            }

            w.Close();
            w.Close();
        }

        w.Open("else");
        w.Line($"L{i}_Scalar(act, ref wg, ref b, ref offsets, ref yb, {(c.Residual ? "ref rb, " : string.Empty)}valid, ref scale, ref shift, train, ref sum, ref sumSq, c0);");
        w.Line("continue;");
        w.Close();
        w.Open("if (!full)");
        w.Line($"ConvHelpers.CopyColumns(ref tail, {TailRows(c)}, 32, valid, ref yb, {c.P});");
        w.Close();
        w.Close();
        w.Close();
        w.Close();
        w.Line();
    }

    /// <summary>
    /// The weights, panel, offsets, output row and its stride of the block starting at output channel <paramref name="start"/>:
    /// the caller passes each as a reference, so the block's epilogue reads scale and shift at constant offsets.
    /// </summary>
    private static string Refs(string start, string weights) =>
        $"ref Unsafe.Add(ref wg, {weights}), ref b, ref offsets, ref Unsafe.Add(ref dst, {start} * ld), ld";

    /// <summary>Calls every register block of a panel: unrolled with constant offsets, or as two loops (FOPS0015) for very wide layers.</summary>
    private static void WriteBlockCalls(CodeWriter w, ConvPlan c, EquatableArray<RowBlock> blocks, System.Func<string, string, int, string> call)
    {
        if (c.Unrolled)
        {
            foreach (RowBlock block in blocks)
            {
                w.Line(call(CodeWriter.I(block.Start), CodeWriter.I(block.Start * c.Kc), block.Rows));
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

    /// <summary>
    /// The head shared by the panel loops (plain and pooled): the tail scratch after the panel, the dispatch level, then
    /// the loops over groups and over panels [pb0, pb1), both left open for the caller's body.
    /// </summary>
    private static void WritePanelLoops(CodeWriter w, ConvPlan c)
    {
        w.Line($"ref float tail = ref Unsafe.Add(ref panel, {c.Kc * 32});");
        w.Line("int level = KernelDispatch.Level;");
        w.Open($"for (int g = 0; g < {c.Groups}; g++)");
        w.Line($"ref float xg = ref Unsafe.Add(ref xp, g * {c.Cg * c.Hp * c.Wp});");
        w.Line($"ref float wg = ref Unsafe.Add(ref w, g * {c.OCg * c.Kc});");
        w.Line($"int c0 = g * {c.OCg};");
        w.Open("for (int pb = pb0; pb < pb1; pb++)");
    }
}
