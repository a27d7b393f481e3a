using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// The inference pass of a Conv2d group the planner routes to the runtime's <c>WinogradConv</c> (<see cref="ConvPlan.Winograd"/>):
/// the folded model transforms its weights at construction and, at 512, 256 or 128 bits (<c>WinogradConv.Enabled</c>), splits the
/// work by sample for several samples and by tile rows for one, each part padding the input rows it reads in its thread's scratch;
/// otherwise (scalar, or the unfolded <c>Infer</c>) the generated direct kernel runs.
/// </summary>
internal static partial class InferenceEmitter
{
    private static string WinogradShape(ConvPlan c) => $"new WinogradShape({c.C}, {c.OC}, {c.OH}, {c.OW})";

    /// <summary>The transformed weights' field of a group on the Winograd route (null when not folded).</summary>
    private static void WinogradField(CodeWriter w, GroupPlan g)
    {
        if (g.Conv is { Winograd: true } or { Winograd256: true })
        {
            w.Line($"private readonly float[]? _wg{g.Index};");
        }

        if (g.Conv is { Winograd43Wide: true })
        {
            w.Line($"private readonly float[]? _wf{g.Index};");
        }
    }

    /// <summary>Transforms the folded weights for the Winograd route once, in the constructor of the folded model.</summary>
    private static void WinogradConstructor(CodeWriter w, GroupPlan g)
    {
        if (g.Conv is { Winograd43: true } c43)
        {
            w.Line($"// Winograd F(4×4, 3×3) (WinogradConv) at 256 bits: the folded weights transformed once, U = G g Gᵀ (6 × 6) as [ξ][input channel][output channel].");
            w.Line($"_wg{g.Index} = fold && WinogradConv.Enabled256 ? WinogradConv.Packed43({WinogradShape(c43)}, _w{g.Index}) : null;");
        }
        else if (g.Conv is { Winograd256: true } c256)
        {
            w.Line($"// Winograd F(2×2, 3×3) (WinogradConv) at 256 bits: the folded weights transformed once, U = G g Gᵀ as [ξ][input channel][output channel].");
            w.Line($"_wg{g.Index} = fold && WinogradConv.Enabled256 ? WinogradConv.Packed({WinogradShape(c256)}, _w{g.Index}) : null;");
        }

        if (g.Conv is { Winograd43Wide: true } wide)
        {
            w.Line($"// Winograd F(4×4, 3×3) (WinogradConv) at 256 bits: the folded weights transformed once, U = G g Gᵀ (6 × 6) as [ξ][input channel][output channel];");
            w.Line($"// F(2×2, 3×3)'s (4 × 4) only where that route cannot run at Freeze (512 bits); a call takes the route its width and these weights allow.");
            w.Line($"_wf{g.Index} = fold && WinogradConv.Enabled256 ? WinogradConv.Packed43({WinogradShape(wide)}, _w{g.Index}) : null;");
            w.Line($"_wg{g.Index} = fold && _wf{g.Index} is null ? WinogradConv.Packed({WinogradShape(wide)}, _w{g.Index}) : null;");
        }
        else if (g.Conv is { Winograd: true } c)
        {
            w.Line($"// Winograd F(2×2, 3×3) (WinogradConv) at 512 and 256 bits: the folded weights transformed once, U = G g Gᵀ as [ξ][input channel][output channel].");
            w.Line($"_wg{g.Index} = fold ? WinogradConv.Packed({WinogradShape(c)}, _w{g.Index}) : null;");
        }
    }

    /// <summary>Opens the Winograd route's branch of the call (closed by the caller around the direct kernel's call).</summary>
    private static void WriteWinogradCall(CodeWriter w, GroupPlan g)
    {
        ConvPlan c = g.Conv!;
        long flops = 2L * c.OC * c.Kc * c.P;
        string held = c.Winograd43Wide ? $"(_wg{g.Index} is not null || (_wf{g.Index} is not null && WinogradConv.Enabled256))" : $"_wg{g.Index} is not null";
        w.Open($"if ({held} && WinogradConv.{(c.Winograd256 ? "Enabled256" : "Enabled")})");
        w.Line($"int threads = ParallelWork.ThreadsFor((long)m * {flops}, 1_000_000);");
        w.Line($"int parts = m > 1 ? m : threads > 1 ? Math.Min({SliceUnits(c)}, 4 * threads) : 1;");
        w.Line($"ConvParallel.Run(new G{g.Index}WinogradParts(this, m), ref x, ref y, {(c.Residual ? "ref res" : "ref x")}, ref scratch, parts, threads);");
        w.Close();
    }

    // At 256 bits, a Winograd group's F(4 × 4, 3 × 3) instead (ConvPlan.Winograd43Wide): its tile rows of 4 output rows split into the
    // same parts (a part may get none when the parts outnumber them).
    private static void WriteWide43(CodeWriter w, GroupPlan g)
    {
        ConvPlan c = g.Conv!;
        int i = g.Index, tileRows = (c.OH + 3) / 4;
        string weights = $"ref _wf{i}![0], ref _scale{i}[0], ref _shift{i}[0]";
        w.Open($"if (_wf{i} is not null && WinogradConv.Enabled256)");
        w.Line("ref float sf = ref ConvParallel.ThreadScratch(WinogradConv.ScratchLength43(conv));");
        w.Line($"(int f0, int f1) = m == 1 && parts > 1 ? {SliceTileRows(tileRows, Paired43(c))} : (0, {tileRows});");
        w.Line("(int n0, int n1) = m == 1 ? (0, 1) : ParallelWork.Slice(m, parts, part);");
        w.Open("for (int s = n0; s < n1; s++)");
        w.Line($"WinogradConv.RunUnpadded43x256(act, conv, {c.Pad}, ref Unsafe.Add(ref x, s * {g.InLength}), {weights}, ref Unsafe.Add(ref y, s * {c.InferenceOutLength}), ref y, false, false, ref sf, f0, f1);");
        w.Close();
        w.Line("return;");
        w.Close();
        w.Line();
    }

    // Tile rows the route splits one sample's work by: of 4 output rows on F(4 × 4, 3 × 3), of 2 on F(2 × 2, 3 × 3).
    private static int TileRows(ConvPlan c) => c.Winograd43 ? (c.OH + 3) / 4 : (c.OH + 1) / 2;

    // Whether F(4 × 4, 3 × 3) runs this layer's tile rows two a pass (rows of at most 8 tiles: WinogradConv's Call43.Paired).
    private static bool Paired43(ConvPlan c) => (c.OW + 3) / 4 <= 8;

    // What one sample's work is sliced into across parts: pairs of tile rows where F(4 × 4, 3 × 3) runs them two a pass (a slice
    // of single rows would leave each part's last row alone, half a pass), else tile rows. At 256 bits a Winograd43Wide layer
    // splits its F(4 × 4, 3 × 3) tile rows into as many parts as F(2 × 2, 3 × 3) would take (some may get none).
    private static int SliceUnits(ConvPlan c) => c.Winograd43 && Paired43(c) ? (TileRows(c) + 1) / 2 : TileRows(c);

    // The call that gives part `part` of `parts` its tile rows [t0, t1) of tileRows: in pairs when paired (the last may be one row).
    private static string SliceTileRows(int tileRows, bool paired) =>
        paired ? $"ParallelWork.SliceInPairs({tileRows}, parts, part)" : $"ParallelWork.Slice({tileRows}, parts, part)";

    private static void WriteWinogradPart(CodeWriter w, PipelineModel m, GroupPlan g)
    {
        ConvPlan c = g.Conv!;
        int i = g.Index, tileRows = TileRows(c);
        w.Line($"// Group {i}: part `part` of `parts` on WinogradConv: a slice of the samples, or of one sample's tile rows (each part pads the input rows it reads).");
        w.Line(ConvEmitter.FullyOptimised);
        w.Open($"private void G{i}_WinogradPart(ref float x, ref float y, ref float res, ref float scratch, int m, int part, int parts)");
        w.Line($"var act = {(g.Inference[0].Has(StageKind.Activation) ? g.Operator.New() : "default(IdentityOperator)")};");
        w.Line($"var conv = {WinogradShape(c)};");
        if (c.Winograd43Wide)
        {
            WriteWide43(w, g);
        }

        w.Line($"ref float sc = ref ConvParallel.ThreadScratch(WinogradConv.{(c.Winograd43 ? "ScratchLength43" : "BandScratchLength")}(conv));");
        string weights = $"ref _wg{i}![0], ref _scale{i}[0], ref _shift{i}[0]";
        // At 256 bits only: the residual (read with `Residual`) and the MaxPool2d(2) in WinogradConv.RunUnpadded256's epilogue.
        string run = c.Winograd43 ? "RunUnpadded43x256" : c.Winograd256 ? "RunUnpadded256" : "RunUnpadded";
        string options = c.Winograd256 ? $", {(c.Residual ? "true" : "false")}, {(c.PoolKernel > 0 ? "true" : "false")}" : string.Empty;
        w.Open("if (m == 1 && parts > 1)");
        w.Line($"(int t0, int t1) = {SliceTileRows(tileRows, c.Winograd43 && Paired43(c))};");
        w.Line($"WinogradConv.{run}(act, conv, {c.Pad}, ref x, {weights}, ref y{(c.Winograd256 ? ", ref res" : string.Empty)}{options}, ref sc, t0, t1);");
        w.Line("return;");
        w.Close();
        w.Line();
        w.Line("(int s0, int s1) = ParallelWork.Slice(m, parts, part);");
        w.Open("for (int s = s0; s < s1; s++)");
        string res = c.Winograd256 ? (c.Residual ? $", ref Unsafe.Add(ref res, s * {g.OutLength})" : ", ref res") : string.Empty;
        w.Line($"WinogradConv.{run}(act, conv, {c.Pad}, ref Unsafe.Add(ref x, s * {g.InLength}), {weights}, ref Unsafe.Add(ref y, s * {c.InferenceOutLength}){res}{options}, ref sc, 0, {tileRows});");
        w.Close();
        w.Close();
        w.Line();
        WritePartsStruct(w, m, g, "Winograd");
    }
}
