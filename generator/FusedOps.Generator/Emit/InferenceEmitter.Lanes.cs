using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// The inference pass of a Conv2d group the planner routes to the runtime's <c>LanesConv</c> (<see cref="ConvPlan.Lanes"/>):
/// the folded model packs its weights at construction and, at 512 bits, splits the work by sample for several samples and by
/// output rows for one, each part padding the input rows it reads in its thread's scratch; otherwise (other widths, or the
/// unfolded <c>Infer</c>, which builds its model per call and would pack per call) the generated direct kernel runs.
/// </summary>
internal static partial class InferenceEmitter
{
    private static string LanesShape(ConvPlan c) => $"new LanesShape({c.C}, {c.H}, {c.W}, {c.OC}, {c.K}, {c.Pad}, {c.Dilation})";

    /// <summary>The packed weights' field of a group on the lanes route (null when not folded).</summary>
    private static void LanesField(CodeWriter w, GroupPlan g)
    {
        if (g.Conv is { Lanes: true })
        {
            w.Line($"private readonly float[]? _wl{g.Index};");
        }
    }

    /// <summary>Packs the folded weights for the lanes route once, in the constructor of the folded model.</summary>
    private static void LanesConstructor(CodeWriter w, GroupPlan g)
    {
        if (g.Conv is { Lanes: true } c)
        {
            w.Line($"// Output channels in the lanes (LanesConv) at 512 bits: the folded weights packed once, [input channel][tap][64].");
            w.Line($"_wl{g.Index} = fold ? LanesConv.Packed({LanesShape(c)}, _w{g.Index}) : null;");
        }
    }

    /// <summary>Opens the lanes route's branch of the call (closed by the caller around the direct kernel's call).</summary>
    private static void WriteLanesCall(CodeWriter w, GroupPlan g)
    {
        ConvPlan c = g.Conv!;
        long flops = 2L * c.OC * c.Kc * c.P;
        w.Open($"if (_wl{g.Index} is not null && LanesConv.Enabled)");
        w.Line($"int threads = ParallelWork.ThreadsFor((long)m * {flops}, 1_000_000);");
        w.Line($"int parts = m > 1 ? m : threads > 1 ? Math.Min({c.OH}, 4 * threads) : 1;");
        w.Line($"ConvParallel.Run(new G{g.Index}LanesParts(this, m), ref x, ref y, ref x, ref scratch, parts, threads);");
        w.Close();
    }

    private static void WriteLanesPart(CodeWriter w, PipelineModel m, GroupPlan g)
    {
        ConvPlan c = g.Conv!;
        int i = g.Index;
        w.Line($"// Group {i}: part `part` of `parts` on LanesConv: a slice of the samples, or of one sample's output rows (each part pads the input rows it reads).");
        w.Line(ConvEmitter.FullyOptimised);
        w.Open($"private void G{i}_LanesPart(ref float x, ref float y, ref float res, ref float scratch, int m, int part, int parts)");
        w.Line($"var act = {(g.Inference[0].Has(StageKind.Activation) ? g.Operator.New() : "default(IdentityOperator)")};");
        w.Line($"var conv = {LanesShape(c)};");
        w.Line("ref float sc = ref ConvParallel.ThreadScratch(conv.ScratchLength);");
        string weights = $"ref _wl{i}![0], ref _scale{i}[0], ref _shift{i}[0]";
        w.Open("if (m == 1 && parts > 1)");
        w.Line($"(int r0, int r1) = ParallelWork.Slice({c.OH}, parts, part);");
        w.Line($"LanesConv.Run(act, conv, ref x, {weights}, ref y, ref sc, r0, r1);");
        w.Line("return;");
        w.Close();
        w.Line();
        w.Line("(int s0, int s1) = ParallelWork.Slice(m, parts, part);");
        w.Open("for (int s = s0; s < s1; s++)");
        w.Line($"LanesConv.Run(act, conv, ref Unsafe.Add(ref x, s * {g.InLength}), {weights}, ref Unsafe.Add(ref y, s * {c.InferenceOutLength}), ref sc, 0, {c.OH});");
        w.Close();
        w.Close();
        w.Line();
        WritePartsStruct(w, m, g, "Lanes");
    }
}
