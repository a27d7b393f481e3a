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
/// (rows, phase) is emitted. When pieces does not divide a conv group's channels, runs cross the groups: group g starts at
/// phase (g · OCg) mod pieces, its first run finished against what the group before stored; the panel's block calls are
/// then written once per group phase (at most pieces variants) with that phase added to every block's.
/// </summary>
internal static partial class ConvEmitter
{
    /// <summary>Whether runs of the fused Maxout cross the conv's groups (pieces does not divide a group's channels).</summary>
    internal static bool MaxoutCrossesGroups(ConvPlan c) => c.MaxoutPieces > 0 && c.OCg % c.MaxoutPieces != 0;

    /// <summary>The phases the conv's groups start at, (g · OCg) mod pieces: only 0 unless runs cross the groups.</summary>
    private static IEnumerable<int> GroupPhases(ConvPlan c) =>
        MaxoutCrossesGroups(c) ? Enumerable.Range(0, c.Groups).Select(g => g * c.OCg % c.MaxoutPieces).Distinct().OrderBy(p => p) : new[] { 0 };

    /// <summary>The phases of the inference blocks of <paramref name="rows"/> rows: only 0 without a fused Maxout.</summary>
    private static IEnumerable<int> Phases(ConvPlan c, EquatableArray<RowBlock> blocks, int rows) =>
        c.MaxoutPieces == 0 ? new[] { 0 } : GroupPhases(c).SelectMany(g => blocks.Where(b => b.Rows == rows).Select(b => (g + b.Start) % c.MaxoutPieces))
            .Distinct().OrderBy(p => p);

    /// <summary>The inference register block's name; with a fused Maxout it carries the phase.</summary>
    private static string InferName(ConvPlan c, int bits, int rows, int phase) =>
        $"L{c.Layer}_Infer{bits}x{rows}" + (c.MaxoutPieces > 0 ? $"p{phase}" : string.Empty);

    /// <summary>
    /// The inference block calls of a panel with a fused Maxout, unrolled even for a FOPS0015 layer (each call names its block's
    /// phase; only training loops there): block at channel s writes from output row
    /// s / pieces; its residual, scale and shift stay at the convolution's channel s. Runs crossing the groups: one set of calls
    /// per group phase φ, block s at phase (φ + s) mod pieces writing from row (φ + s) / pieces of the group's first run.
    /// </summary>
    private static void WriteMaxoutCalls(CodeWriter w, ConvPlan c, int bits, EquatableArray<RowBlock> blocks)
    {
        if (!MaxoutCrossesGroups(c))
        {
            WriteMaxoutCalls(w, c, bits, blocks, 0);
            return;
        }

        int n = 0;
        foreach (int phase in GroupPhases(c))
        {
            w.Open($"{(n++ == 0 ? "if" : "else if")} (c0 % {c.MaxoutPieces} == {phase})");
            WriteMaxoutCalls(w, c, bits, blocks, phase);
            w.Close();
        }
    }

    private static void WriteMaxoutCalls(CodeWriter w, ConvPlan c, int bits, EquatableArray<RowBlock> blocks, int groupPhase)
    {
        foreach (RowBlock block in blocks)
        {
            string start = CodeWriter.I(block.Start);
            int at = groupPhase + block.Start;
            string res = c.Residual ? $"ref Unsafe.Add(ref rdst, {start} * ld), " : string.Empty;
            w.Line($"{InferName(c, bits, block.Rows, at % c.MaxoutPieces)}(act, ref Unsafe.Add(ref wg, {CodeWriter.I(block.Start * c.Kc)}), ref b, ref offsets, "
                + $"ref Unsafe.Add(ref dst, {CodeWriter.I(at / c.MaxoutPieces)} * ld), ld, {res}ref Unsafe.Add(ref scale, c0 + {start}), ref Unsafe.Add(ref shift, c0 + {start}));");
        }
    }

    /// <summary>
    /// Runs crossing the groups, a partial panel: the group's first run, begun by the group before, is finished in the tail, so
    /// what that group stored is copied there first.
    /// </summary>
    private static void WriteMaxoutTailStart(CodeWriter w, ConvPlan c)
    {
        if (MaxoutCrossesGroups(c))
        {
            w.Open($"if (!full && !train && c0 % {c.MaxoutPieces} != 0)");
            w.Line($"ConvHelpers.CopyColumns(ref yb, 1, {c.P}, valid, ref tail, 32);");
            w.Close();
        }
    }

    /// <summary>Output rows a partial panel's tail holds: the conv group's channels (training), else the runs they touch.</summary>
    private static string TailRows(ConvPlan c) =>
        c.MaxoutPieces == 0 ? CodeWriter.I(c.OCg)
        : MaxoutCrossesGroups(c) ? $"train ? {c.OCg} : ((c0 + {c.OCg - 1}) / {c.MaxoutPieces}) - (c0 / {c.MaxoutPieces}) + 1"
        : $"train ? {c.OCg} : {c.OCg / c.MaxoutPieces}";

    /// <summary>
    /// After row <paramref name="r"/> of a block of <paramref name="rows"/> at <paramref name="phase"/> holds its activated values:
    /// folds it into the first row of its run in this block, and stores that run's maximum once its last row here is done.
    /// </summary>
    private static void WriteMaxoutRow(CodeWriter w, ConvPlan c, int bits, int nv, int r, int rows, int phase)
    {
        int pieces = c.MaxoutPieces, q = phase + r, o = q / pieces, h = System.Math.Max(0, (o * pieces) - phase);
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
            string at = Column(bits, j);
            string value = o == 0 && phase != 0 ? $"ConvHelpers.PoolMax({v}.LoadUnsafe({yo}{at}), c{h}_{j})" : $"c{h}_{j}";
            w.Line($"{v}.StoreUnsafe({value}, {yo}{at});");
        }
    }

    /// <summary>
    /// The scalar fallback's inference store with a fused Maxout: the first piece of a run stores, the others take the max (a run
    /// crossing the groups: by the conv channel, from the group's first row, which may be a run the group before began).
    /// </summary>
    private static void WriteMaxoutScalarStore(CodeWriter w, ConvPlan c, string value)
    {
        int p = c.MaxoutPieces;
        w.Line($"float value = {value};");
        if (MaxoutCrossesGroups(c))
        {
            w.Line($"ref float maxed = ref Unsafe.Add(ref y, (((channel / {p}) - (channel0 / {p})) * {c.P}) + col);");
            w.Line($"maxed = channel % {p} == 0 ? value : ConvHelpers.PoolMax(maxed, value);");
            return;
        }

        w.Line($"ref float maxed = ref Unsafe.Add(ref y, ((r / {p}) * {c.P}) + col);");
        w.Line($"maxed = r % {p} == 0 ? value : ConvHelpers.PoolMax(maxed, value);");
    }
}
