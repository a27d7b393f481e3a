using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// The inference pass of a Conv2d group the planner routes to the runtime's <c>Im2colGemm</c> (<see cref="ConvPlan.Im2col"/>):
/// split as the direct kernel's, by sample for several samples, by blocks of 32 output pixels for one; each part pads the
/// input rows it reads and packs its blocks in its thread's scratch, so no serial pass precedes the split.
/// </summary>
internal static partial class InferenceEmitter
{
    private static string Im2colShape(ConvPlan c) => $"new Im2colConv({c.C}, {c.H}, {c.W}, {c.OC}, {c.K}, {c.Pad}, {c.Dilation})";

    private static int Im2colBlocks(ConvPlan c) => (c.P + 31) / 32;

    private static void WriteIm2colCall(CodeWriter w, GroupPlan g)
    {
        ConvPlan c = g.Conv!;
        long flops = 2L * c.OC * c.Kc * c.P;
        w.Line($"int threads = ParallelWork.ThreadsFor((long)m * {flops}, 1_000_000);");
        w.Line($"int parts = m > 1 ? m : threads > 1 ? Math.Min({Im2colBlocks(c)}, 4 * threads) : 1;");
        w.Line($"ConvParallel.Run(new G{g.Index}Parts(this, m), ref x, ref y, ref x, ref scratch, parts, threads);");
    }

    private static void WriteIm2colPart(CodeWriter w, GroupPlan g)
    {
        ConvPlan c = g.Conv!;
        int i = g.Index;
        w.Line($"// Group {i}: part `part` of `parts` as im2col × PackedGemm: a slice of the samples, or of one sample's blocks of 32 pixels (each part pads the input rows it reads).");
        w.Line(ConvEmitter.FullyOptimised);
        w.Open($"private void G{i}_Part(ref float x, ref float y, ref float res, ref float scratch, int m, int part, int parts)");
        w.Line($"var act = {(g.Inference[0].Has(StageKind.Activation) ? g.Operator.New() : "default(IdentityOperator)")};");
        w.Line($"var conv = {Im2colShape(c)};");
        w.Line("ref float sc = ref ConvParallel.ThreadScratch(conv.PanelLength + conv.PaddedLength);");
        string weights = $"ref _w{i}[0], ref _scale{i}[0], ref _shift{i}[0]";
        w.Open("if (m == 1 && parts > 1)");
        w.Line($"(int b0, int b1) = ParallelWork.Slice({Im2colBlocks(c)}, parts, part);");
        w.Line($"Im2colGemm.Run(act, conv, ref x, {weights}, ref y, ref sc, b0, b1);");
        w.Line("return;");
        w.Close();
        w.Line();
        w.Line("(int s0, int s1) = ParallelWork.Slice(m, parts, part);");
        w.Open("for (int s = s0; s < s1; s++)");
        w.Line($"Im2colGemm.Run(act, conv, ref Unsafe.Add(ref x, s * {g.InLength}), {weights}, ref Unsafe.Add(ref y, s * {c.InferenceOutLength}), ref sc, 0, {Im2colBlocks(c)});");
        w.Close();
        w.Close();
        w.Line();
    }
}
