using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// A Conv2d layer's backward pass, per sample. The weight gradient is computed transposed,
/// dWᵀ[tap][oc] += Σ_p col[tap][p]·dZ[oc][p], as the same broadcast-and-panel product as the forward
/// pass (taps are rows, 32 output channels are the panel, pixels are the depth), accumulated over the
/// batch in scratch and added to dW once at the end. The input gradient is Wᵀ·dZ per panel of 32
/// pixels, scattered back onto the padded input (col2im).
/// </summary>
internal static partial class ConvEmitter
{
    private static void WriteBackward(CodeWriter w, ConvPlan c)
    {
        if (TrainingConv.OnGrid(c))
        {
            // Conv2dTrainer runs this layer's training passes.
            return;
        }

        int i = c.Layer;
        BackwardLayout s = c.Backward;
        int dwtLength = c.Groups * s.Blocks * c.Kc * 32;
        w.Line($"// Layer {i}: clears the batch's transposed weight-gradient accumulators ({dwtLength} floats).");
        w.Open($"internal static void L{i}_WeightGradStart(ref float scratch)");
        w.Line($"MemoryMarshal.CreateSpan(ref Unsafe.Add(ref scratch, {s.Dwt}), {dwtLength}).Clear();");
        w.Close();
        w.Line();
        w.Line($"// Layer {i}: adds the batch's transposed weight gradient into dW [{c.OC}, {c.Kc}].");
        w.Open($"internal static void L{i}_WeightGradFinish(ref float scratch, ref float dw)");
        w.Open($"for (int g = 0; g < {c.Groups}; g++)");
        w.Line($"ref float dwt = ref Unsafe.Add(ref scratch, {s.Dwt} + (g * {s.Blocks * c.Kc * 32}));");
        w.Line($"ConvHelpers.AddTransposed(ref dwt, {c.Kc}, {c.OCg}, ref Unsafe.Add(ref dw, g * {c.OCg * c.Kc}));");
        w.Close();
        w.Close();
        w.Line();
        w.Line($"// Layer {i} Conv2d backward, one sample: dWᵀ += col·dZᵀ, dB += Σ dZ, dX = col2im(Wᵀ·dZ); dZ {c.OC}×{c.OH}×{c.OW} -> dX {c.C}×{c.H}×{c.W}.");
        w.Line(FullyOptimised);
        w.Line($"internal static void L{i}_ConvBackward(ref float x, ref float dz, ref float w, ref float db, bool bias,");
        w.Line("    ref float dx, bool inputGradient, ref float scratch)");
        w.Open();
        w.Line($"ref float cols = ref Unsafe.Add(ref scratch, {s.Cols});");
        w.Line($"ref float dzPanels = ref Unsafe.Add(ref scratch, {s.Dzp});");
        w.Line($"ref float dcol = ref Unsafe.Add(ref scratch, {s.Dcol});");
        w.Line($"ref float dzT = ref Unsafe.Add(ref scratch, {s.Dzt});");
        w.Line($"ref float dwT = ref Unsafe.Add(ref scratch, {s.Dwt});");
        w.Open("if (bias)");
        w.Line($"Gemm.RowSums(ref dz, {c.OC}, {c.P}, ref db);");
        w.Close();
        w.Open("if (inputGradient)");
        w.Line($"Gemm.PackRows(ref dz, {c.OC}, {c.P}, ref dzPanels);");
        w.Close();
        if (c.Pad > 0)
        {
            w.Line($"ref float xp = ref Unsafe.Add(ref scratch, {s.Xp});");
            w.Line($"ref float dxp = ref Unsafe.Add(ref scratch, {s.Dxp});");
            w.Line($"ConvHelpers.Pad(ref x, {c.C}, {c.H}, {c.W}, {c.Pad}, ref xp);");
            w.Open("if (inputGradient)");
            w.Line($"MemoryMarshal.CreateSpan(ref dxp, {c.PadLength}).Clear();");
            w.Close();
        }
        else
        {
            w.Line("ref float xp = ref x;");
            w.Line("ref float dxp = ref dx;");
            w.Open("if (inputGradient)");
            w.Line($"MemoryMarshal.CreateSpan(ref dx, {c.C * c.H * c.W}).Clear();");
            w.Close();
        }

        w.Open($"for (int g = 0; g < {c.Groups}; g++)");
        w.Line($"ref float xg = ref Unsafe.Add(ref xp, g * {c.Cg * c.Hp * c.Wp});");
        w.Line($"// im2col, tap-major: cols[tap · {s.Npp} + p].");
        w.Open($"for (int pb = 0; pb < {c.Panels}; pb++)");
        w.Line($"ConvHelpers.PackPanel(ref xg, s_l{i}Taps, s_l{i}Pixels, s_l{i}Contiguous[pb], pb, ref Unsafe.Add(ref cols, pb * 32), {s.Npp});");
        w.Close();
        w.Line($"ConvHelpers.PackTransposed(ref Unsafe.Add(ref dz, g * {c.OCg * c.P}), {c.OCg}, {c.P}, {s.Npp}, ref dzT);");
        w.Open($"for (int ob = 0; ob < {s.Blocks}; ob++)");
        w.Line($"ref float dzBlock = ref Unsafe.Add(ref dzT, ob * {s.Npp * 32});");
        w.Line($"ref float dwBlock = ref Unsafe.Add(ref dwT, ((g * {s.Blocks}) + ob) * {c.Kc * 32});");
        w.Line($"Gemm.PanelGemm(ref cols, {s.Npp}, 1, {c.Kc}, {s.Npp}, ref dzBlock, ref dwBlock, 32, true);");
        w.Close();
        w.Open("if (inputGradient)");
        w.Line($"ref float dxg = ref Unsafe.Add(ref dxp, g * {c.Cg * c.Hp * c.Wp});");
        w.Line($"ref float wg = ref Unsafe.Add(ref w, g * {c.OCg * c.Kc});");
        w.Open($"for (int pb = 0; pb < {c.Panels}; pb++)");
        w.Line($"ref float dzPanel = ref Unsafe.Add(ref dzPanels, (pb * {c.OC * 32}) + (g * {c.OCg * 32}));");
        w.Line($"Gemm.PanelGemm(ref wg, 1, {c.Kc}, {c.Kc}, {c.OCg}, ref dzPanel, ref dcol, 32, false);");
        w.Line($"ConvHelpers.ScatterPanel(ref dcol, s_l{i}Taps, s_l{i}Pixels, s_l{i}Contiguous[pb], pb, ref dxg);");
        w.Close();
        w.Close();
        w.Close();
        if (c.Pad > 0)
        {
            w.Open("if (inputGradient)");
            w.Line($"MemoryMarshal.CreateSpan(ref dx, {c.C * c.H * c.W}).Clear();");
            w.Line($"ConvHelpers.CropAdd(ref dxp, {c.C}, {c.H}, {c.W}, {c.Pad}, ref dx);");
            w.Close();
        }

        w.Close();
        w.Line();
    }
}
