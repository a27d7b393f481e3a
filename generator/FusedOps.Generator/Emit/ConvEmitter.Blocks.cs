using System.Linq;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>The register blocks and the scalar fallback of a Conv2d layer's forward pass.</summary>
internal static partial class ConvEmitter
{
    /// <summary>
    /// One register block. <paramref name="chunked"/> (inference): taps [k0, k1) only, starting from the partial sums in
    /// <c>y</c> unless <c>first</c>, and storing them raw unless <c>last</c>; the sums run in the same order, so the same bits.
    /// </summary>
    private static void WriteBlock(CodeWriter w, ConvPlan c, int bits, int rows, bool train, bool chunked = false, int phase = 0)
    {
        int i = c.Layer;
        int lanes = bits / 32;
        int cols = BlockColumns(bits);
        int nv = cols / lanes;
        string v = $"Vector{bits}";
        string vt = $"{v}<float>";
        string name = train ? $"L{i}_Train{bits}x{rows}" : chunked ? $"L{i}_InferK{bits}x{rows}" : InferName(c, bits, rows, phase);
        string what = train ? "stores conv + bias and adds the channel sums" : "applies scale, shift and the activation";
        string taps = chunked ? "taps [k0, k1)" : $"{c.Kc} taps";
        w.Line(cols == 32
            ? $"// Layer {i}: {rows} output channels × 32 pixels in {rows * nv} {v} accumulators over {taps}; {what}."
            : $"// Layer {i}: {rows} output channels × 32 pixels, {cols} at a time in {rows * nv} {v} accumulators, over {taps}; {what}.");
        if (train)
        {
            w.Line(ConvEmitter.FullyOptimised);
            w.Line($"private static void {name}(ref float a, ref float b, ref int offsets, ref float y, int ld,");
            w.Line("    ref float shift, ref double sum, ref double sumSq)");
            w.Open();
        }
        else
        {
            w.Line(ConvEmitter.FullyOptimised);
            w.Line($"private static void {name}<TAct>(TAct act, ref float a, ref float b, ref int offsets, ref float y, int ld,");
            w.Line($"    {(c.Residual ? "ref float res, " : string.Empty)}ref float scale, ref float shift{(chunked ? ", nint k0, nint k1, bool first, bool last" : string.Empty)})");
            w.Line("    where TAct : struct, IActivationOperator");
            w.Open();
        }

        if (cols < 32)
        {
            w.Open($"for (nuint h = 0; h < 32; h += {cols})");
        }

        for (int r = 0; r < rows; r++)
        {
            string yr = r == 0 ? "ref y" : $"ref Unsafe.Add(ref y, {r} * ld)";
            for (int j = 0; j < nv; j++)
            {
                w.Line(chunked
                    ? $"{vt} c{r}_{j} = first ? {vt}.Zero : {v}.LoadUnsafe({yr}{Column(bits, j)});"
                    : $"{vt} c{r}_{j} = {vt}.Zero;");
            }
        }

        w.Open(chunked ? "for (nint k = k0; k < k1; k++)" : $"for (nint k = 0; k < {c.Kc}; k++)");
        w.Line("int offset = Unsafe.Add(ref offsets, k);");
        w.Line("ref float bk = ref Unsafe.Add(ref b, offset);");
        WriteTapProducts(w, c, bits, nv, rows, j => cols < 32 ? $"ref bk{Column(bits, j)}" : $"ref bk, {j * lanes}");
        w.Close();
        w.Line();
        if (chunked)
        {
            w.Open("if (!last)");
            for (int r = 0; r < rows; r++)
            {
                string yr = r == 0 ? "ref y" : $"ref Unsafe.Add(ref y, {r} * ld)";
                for (int j = 0; j < nv; j++)
                {
                    w.Line($"{v}.StoreUnsafe(c{r}_{j}, {yr}{Column(bits, j)});");
                }
            }

            w.Line(cols < 32 ? "continue;" : "return;");
            w.Close();
            w.Line();
        }

        w.Line("// Epilogue: each output written once.");
        for (int r = 0; r < rows; r++)
        {
            string yr = r == 0 ? "ref y" : $"ref Unsafe.Add(ref y, {r} * ld)";
            string row = CodeWriter.I(r);
            if (train)
            {
                w.Line($"{vt} t{r} = {v}.Create(Unsafe.Add(ref shift, {row}));");
                w.Line($"Unsafe.Add(ref sum, {row}) += Simd.Sum({string.Join(" + ", Enumerable.Range(0, nv).Select(j => $"c{r}_{j}"))});");
                w.Line($"Unsafe.Add(ref sumSq, {row}) += Simd.Sum({string.Join(" + ", Enumerable.Range(0, nv).Select(j => $"(c{r}_{j} * c{r}_{j})"))});");
                for (int j = 0; j < nv; j++)
                {
                    w.Line($"c{r}_{j} += t{r};");
                }
            }
            else
            {
                w.Line($"{vt} s{r} = {v}.Create(Unsafe.Add(ref scale, {row}));");
                w.Line($"{vt} t{r} = {v}.Create(Unsafe.Add(ref shift, {row}));");
                string op = RowOperator(w, c, r, CodeWriter.I(c.OC + r));
                for (int j = 0; j < nv; j++)
                {
                    if (c.Residual)
                    {
                        string rr = r == 0 ? "ref res" : $"ref Unsafe.Add(ref res, {r} * ld)";
                        w.Line($"{vt} r{r}_{j} = {v}.LoadUnsafe({rr}{(cols < 32 ? Column(bits, j) : $", {j * lanes}")});");
                        w.Line($"c{r}_{j} = {op}.Invoke(Simd.Fma(c{r}_{j}, s{r}, t{r}) + r{r}_{j});");
                    }
                    else
                    {
                        w.Line($"c{r}_{j} = {op}.Invoke(Simd.Fma(c{r}_{j}, s{r}, t{r}));");
                    }
                }
            }

            if (!train && c.MaxoutPieces > 0)
            {
                WriteMaxoutRow(w, c, bits, nv, r, rows, phase);
                continue;
            }

            for (int j = 0; j < nv; j++)
            {
                w.Line($"{v}.StoreUnsafe(c{r}_{j}, {yr}{Column(bits, j)});");
            }
        }

        if (cols < 32)
        {
            w.Close();
        }

        w.Close();
        w.Line();
    }

    /// <summary>
    /// One tap of a register block: <c>c{r}_{j} += a{r} · b{j}</c> for every row r and vector j, each accumulator's terms in tap
    /// order (so the same bits whatever the schedule). All B vectors are loaded first and shared by the rows, unless that needs
    /// more vector registers than the width has (16 below 512 bits: 12 accumulators + 4 loads + 1 broadcast would be 17, and the
    /// JIT would keep an accumulator on the stack, stored and reloaded every tap); then the rows' broadcasts come first and each
    /// B vector is loaded just before its FMAs (accumulators + rows + 1 registers). RegisterPressureTests checks the count.
    /// </summary>
    private static void WriteTapProducts(CodeWriter w, ConvPlan c, int bits, int nv, int rows, System.Func<int, string> load)
    {
        string v = $"Vector{bits}";
        string vt = $"{v}<float>";
        string Broadcast(int r) => $"{vt} a{r} = {v}.Create(Unsafe.Add(ref a, {(r == 0 ? "k" : $"{r * c.Kc} + k")}));";
        if ((rows * nv) + nv + 1 <= VectorRegisters(bits))
        {
            for (int j = 0; j < nv; j++)
            {
                w.Line($"{vt} b{j} = {v}.LoadUnsafe({load(j)});");
            }

            for (int r = 0; r < rows; r++)
            {
                w.Line(Broadcast(r));
                for (int j = 0; j < nv; j++)
                {
                    w.Line($"c{r}_{j} = Simd.Fma(a{r}, b{j}, c{r}_{j});");
                }
            }

            return;
        }

        for (int r = 0; r < rows; r++)
        {
            w.Line(Broadcast(r));
        }

        for (int j = 0; j < nv; j++)
        {
            w.Line($"{vt} b{j} = {v}.LoadUnsafe({load(j)});");
            for (int r = 0; r < rows; r++)
            {
                w.Line($"c{r}_{j} = Simd.Fma(a{r}, b{j}, c{r}_{j});");
            }
        }
    }

    /// <summary>Vector registers of the x64 width: 32 zmm with AVX-512, 16 ymm or xmm below it (ARM64's 32 NEON registers are not counted on).</summary>
    private static int VectorRegisters(int bits) => bits >= 512 ? 32 : 16;

    private static void WriteScalar(CodeWriter w, ConvPlan c)
    {
        int i = c.Layer;
        w.Line($"// Layer {i}: scalar fallback for machines without Vector256, all {c.OCg} channels of a panel.");
        w.Line(ConvEmitter.FullyOptimised);
        w.Line($"private static void L{i}_Scalar<TAct>(TAct act, ref float a, ref float b, ref int offsets, ref float y, {(c.Residual ? "ref float res, " : string.Empty)}int valid,");
        w.Line("    ref float scale, ref float shift, bool train, ref double sum, ref double sumSq, int channel0)");
        w.Line("    where TAct : struct, IActivationOperator");
        w.Open();
        w.Open($"for (int r = 0; r < {c.OCg}; r++)");
        w.Line("int channel = channel0 + r;");
        w.Open("for (int col = 0; col < valid; col++)");
        w.Line("float acc = 0f;");
        w.Open($"for (int k = 0; k < {c.Kc}; k++)");
        w.Line("int tap = Unsafe.Add(ref offsets, k) + col;");
        w.Line($"acc = MathF.FusedMultiplyAdd(Unsafe.Add(ref a, (r * {c.Kc}) + k), Unsafe.Add(ref b, tap), acc);");
        w.Close();
        w.Line($"ref float dst = ref Unsafe.Add(ref y, (r * {c.P}) + col);");
        w.Open("if (train)");
        w.Line("Unsafe.Add(ref sum, channel) += acc;");
        w.Line("Unsafe.Add(ref sumSq, channel) += (double)acc * acc;");
        w.Line("dst = acc + Unsafe.Add(ref shift, channel);");
        w.Close();
        w.Open("else");
        string plus = c.Residual ? $" + Unsafe.Add(ref res, (r * {c.P}) + col)" : string.Empty;
        string op = RowOperator(w, c, 0, $"{c.OC} + channel");
        string value = $"{op}.Invoke(MathF.FusedMultiplyAdd(acc, Unsafe.Add(ref scale, channel), Unsafe.Add(ref shift, channel)){plus})";
        if (c.MaxoutPieces > 0)
        {
            WriteMaxoutScalarStore(w, c, value);
        }
        else
        {
            w.Line($"dst = {value};");
        }
        w.Close();
        w.Close();
        w.Close();
        w.Close();
        w.Line();
    }

    /// <summary>
    /// The operator of one output channel row in an inference epilogue: the group's own <c>act</c>, or the fused
    /// channel activation built from its parameter at <c>shift[<paramref name="parameter"/>]</c> (ConvPlan.Channel).
    /// </summary>
    private static string RowOperator(CodeWriter w, ConvPlan c, int r, string parameter)
    {
        switch (c.Channel)
        {
            case ChannelEpilogue.Slope:
                w.Line($"var op{r} = new PReluOperator(Unsafe.Add(ref shift, {parameter}));");
                return $"op{r}";
            case ChannelEpilogue.Bipolar:
                w.Line($"var op{r} = new BipolarReluOperator(Unsafe.Add(ref shift, {parameter}) != 0f);");
                return $"op{r}";
            default:
                return "act";
        }
    }
}
