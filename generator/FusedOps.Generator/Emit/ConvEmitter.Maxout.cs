using System.Collections.Generic;
using System.Linq;
using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// The inference epilogue of a Conv2d group with the next group's Maxout in it (<see cref="MaxoutFusion"/>): each register
/// block takes the maximum over the rows of one run of <c>pieces</c> channels in registers and stores it once; a run cut
/// by a block boundary is finished by the next block against the value stored (first maximum wins, a NaN wins).
/// A block's offset within its run (its "phase", start mod pieces) is a constant of the kernel, so one kernel per
/// (rows, phase) is emitted.
/// </summary>
internal static partial class ConvEmitter
{
    /// <summary>The phases of the inference blocks of <paramref name="rows"/> rows: only 0 without a fused Maxout.</summary>
    private static IEnumerable<int> Phases(ConvPlan c, EquatableArray<RowBlock> blocks, int rows) =>
        c.MaxoutPieces == 0 ? new[] { 0 } : blocks.Where(b => b.Rows == rows).Select(b => b.Start % c.MaxoutPieces).Distinct().OrderBy(p => p);

    /// <summary>The inference register block's name; with a fused Maxout it carries the phase.</summary>
    private static string InferName(ConvPlan c, int bits, int rows, int phase) =>
        $"L{c.Layer}_Infer{bits}x{rows}" + (c.MaxoutPieces > 0 ? $"p{phase}" : string.Empty);

    /// <summary>
    /// The inference block calls of a panel with a fused Maxout, unrolled even for a FOPS0015 layer (each call names its block's
    /// phase; only training loops there): block at channel s writes from output row
    /// s / pieces; its residual, scale and shift stay at the convolution's channel s.
    /// </summary>
    private static void WriteMaxoutCalls(CodeWriter w, ConvPlan c, int bits, EquatableArray<RowBlock> blocks)
    {
        foreach (RowBlock block in blocks)
        {
            string start = CodeWriter.I(block.Start);
            string res = c.Residual ? $"ref Unsafe.Add(ref rdst, {start} * ld), " : string.Empty;
            w.Line($"{InferName(c, bits, block.Rows, block.Start % c.MaxoutPieces)}(act, ref Unsafe.Add(ref wg, {CodeWriter.I(block.Start * c.Kc)}), ref b, ref offsets, "
                + $"ref Unsafe.Add(ref dst, {CodeWriter.I(block.Start / c.MaxoutPieces)} * ld), ld, {res}ref Unsafe.Add(ref scale, c0 + {start}), ref Unsafe.Add(ref shift, c0 + {start}));");
        }
    }

    /// <summary>
    /// After row <paramref name="r"/> of a block of <paramref name="rows"/> at <paramref name="phase"/> holds its activated values:
    /// folds it into the first row of its run in this block, and stores that run's maximum once its last row here is done.
    /// </summary>
    private static void WriteMaxoutRow(CodeWriter w, ConvPlan c, int bits, int nv, int r, int rows, int phase)
    {
        int pieces = c.MaxoutPieces, q = phase + r, o = q / pieces, h = System.Math.Max(0, (o * pieces) - phase), lanes = bits / 32;
        string v = $"Vector{bits}";
        for (int j = 0; r != h && j < nv; j++)
        {
            w.Line($"c{h}_{j} = ConvHelpers.PoolMax(c{h}_{j}, c{r}_{j});");
        }

        if (q % pieces != pieces - 1 && r != rows - 1)
        {
            return;
        }

        // A run begun in the block before (phase > 0) is finished against what that block stored: its pieces come first.
        string yo = o == 0 ? "ref y" : $"ref Unsafe.Add(ref y, {o} * ld)";
        w.Line(o == 0 && phase != 0
            ? $"// Maxout: rows 0…{CodeWriter.I(r)} finish the run the block before began (its pieces come first)."
            : $"// Maxout: rows {CodeWriter.I(h)}…{CodeWriter.I(r)} are one run; its maximum is stored once.");
        for (int j = 0; j < nv; j++)
        {
            string at = j == 0 ? string.Empty : $", {j * lanes}";
            string value = o == 0 && phase != 0 ? $"ConvHelpers.PoolMax({v}.LoadUnsafe({yo}{at}), c{h}_{j})" : $"c{h}_{j}";
            w.Line($"{v}.StoreUnsafe({value}, {yo}{at});");
        }
    }

    /// <summary>The scalar fallback's inference store with a fused Maxout: the first piece of a run stores, the others take the max.</summary>
    private static void WriteMaxoutScalarStore(CodeWriter w, ConvPlan c, string value)
    {
        w.Line($"float value = {value};");
        w.Line($"ref float maxed = ref Unsafe.Add(ref y, ((r / {c.MaxoutPieces}) * {c.P}) + col);");
        w.Line($"maxed = r % {c.MaxoutPieces} == 0 ? value : ConvHelpers.PoolMax(maxed, value);");
    }
}
