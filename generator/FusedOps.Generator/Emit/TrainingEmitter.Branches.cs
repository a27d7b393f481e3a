using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>Training passes shared by plain and branch groups: batch statistics, the residual add and its gradient.</summary>
internal static partial class TrainingEmitter
{
    /// <summary>Batch mean and 1/σ per channel from the sums, the running-stat update, and the scale/shift they give.</summary>
    private static void WriteBatchStatistics(CodeWriter w, GroupPlan g)
    {
        BatchNormLayer bn = g.Norm!;
        int i = g.Index;
        bool sumsBeforeBias = g.Forward[0].Has(StageKind.BatchStatistics) && g.HasBias;
        string offset = sumsBeforeBias ? Field(g.Op!, "Bias") + ".Data" : "default";
        string mean = Field(bn, "RunningMean"), variance = Field(bn, "RunningVar");
        string gamma = Data(null, bn, "Weight", bn.Affine), beta = Data(null, bn, "Bias", bn.Affine);
        w.Line($"// Batch statistics over n × {g.Spatial} values per channel; running_var takes the unbiased variance.");
        w.Line($"long count = (long)n * {g.Spatial};");
        w.Line($"float epsilon = {Literal.Float(bn.Epsilon)};");
        w.Line($"float momentum = {Literal.Float(bn.Momentum)};");
        w.Line($"Norm.FinishBatchStats(_sum{i}, _sumSq{i}, {offset}, count, epsilon, momentum, {mean}.Data, {variance}.Data, _mean{i}, _invStd{i});");
        w.Line($"Norm.TrainScaleShift({gamma}, {beta}, _mean{i}, _invStd{i}, _scale{i}, _shift{i});");
    }

    /// <summary>u = (normalised) z + saved (or its projection), kept for backward when an activation follows; y = act(u).</summary>
    private static void WriteAddForward(CodeWriter w, PipelineModel m, GroupPlan g, GroupBuffers r, Pass pass)
    {
        int i = g.Index;
        if (g.Branch!.ProjectionGroup >= 0)
        {
            w.Line($"G{g.Branch.ProjectionGroup}_Forward(n);");
        }

        string u = r.U ?? r.Output;
        w.Line($"var act = {g.Operator.New()};");
        if (pass.Has(StageKind.Normalize))
        {
            WriteBatchStatistics(w, g);
            w.Line($"ref float scale = ref _scale{i}[0];");
            w.Line($"ref float shift = ref _shift{i}[0];");
            WriteAffineAdd(w, m, g, r, u);
        }
        else
        {
            w.Line($"ActivationPass.AddForward(act, ref {r.Z}[0], ref {r.Residual}[0], ref {u}[0], ref {r.Output}[0], n * {g.OutLength});");
        }
    }

    /// <summary>
    /// u = z·scale + shift + saved and y = act(u), the saved tensor recomputed from its group's z when that group's output is never
    /// stored, and y pooled in the same sweep (only the pooled output and arg-max stored) when a MaxPool2d follows (TrainingNormFusion).
    /// </summary>
    private static void WriteAffineAdd(CodeWriter w, PipelineModel m, GroupPlan g, GroupBuffers r, string u)
    {
        string shape = g.TrainingPool is null ? $"n, {g.Channels}, {g.Spatial}" : $"n, {g.Channels}";
        string output = g.TrainingPool is null ? $"ref {r.Output}[0]" : PooledOutput(w, m, g);
        string window = g.TrainingPool is { } pool ? $", {StandaloneEmitter.Window(m.Groups[g.Index + 1], pool)}" : string.Empty;
        string kernel = g.TrainingPool is null ? "AffineAdd" : "AffineAddPool";
        string residual = $"ref {r.Residual}[0]";
        if (g.ResidualNormOf >= 0)
        {
            GroupPlan saved = m.Groups[g.ResidualNormOf];
            w.Line($"// \"{g.Branch!.Name}\" is group {saved.Index}'s output, never stored: recomputed from its z per sample.");
            kernel = g.TrainingPool is null ? "AffineAddNorm" : "AffineAddNormPool";
            residual = $"{saved.Operator.New()}, {residual}, ref _scale{saved.Index}[0], ref _shift{saved.Index}[0]";
        }

        // u is not stored when the backward recomputes it (TrainingNormFusion rule 5).
        string sum = g.SumRecomputed ? string.Empty : $"ref {u}[0], ";
        w.Line($"TrainingPasses.{kernel}Forward(act, ref {r.Z}[0], {residual}, {sum}{output}, {shape}, ref scale, ref shift{window});");
    }

    /// <summary>The pooled output and arg-max of the MaxPool2d fused into <paramref name="g"/>'s normalise pass, as arguments.</summary>
    private static string PooledOutput(CodeWriter w, PipelineModel m, GroupPlan g)
    {
        GroupPlan pool = m.Groups[g.Index + 1];
        StandaloneEmitter.Grow(w, $"_argMax{pool.Index}", "int", $"n * {pool.OutLength}");
        return $"ref {m.Buffers.Groups[pool.Index].Output}[0], ref _argMax{pool.Index}[0]";
    }

    /// <summary>
    /// BatchNorm backward's first pass: dU = act′(dY) at u = z·scale + shift (written to the group's dU
    /// buffer; with <paramref name="channel"/>, the call head of the next group's channel activation's derivative instead, and
    /// PReLU's slope gradient, or of its Maxout's routing of dY to the winning piece), and per channel Σ dU, Σ dU·x̂, which are also dβ and dγ. With <paramref name="save"/> (a residual
    /// group's end), dU = act′(dY) at the saved sum u, also added to that gradient accumulator, then the reductions.
    /// </summary>
    private static void WriteNormReductions(CodeWriter w, PipelineModel m, GroupPlan g, GroupBuffers r, string dy, string? save = null, string? channel = null)
    {
        BatchNormLayer bn = g.Norm!;
        int i = g.Index;
        w.Line($"Array.Clear(_sum{i});");
        w.Line($"Array.Clear(_sumSq{i});");
        w.Line($"ref float scale = ref _scale{i}[0];");
        w.Line($"ref float shift = ref _shift{i}[0];");
        w.Line($"ref float mean = ref _mean{i}[0];");
        w.Line($"ref float invStd = ref _invStd{i}[0];");
        w.Line($"ref double sumDu = ref _sum{i}[0];");
        w.Line($"ref double sumDuXhat = ref _sumSq{i}[0];");
        w.Line($"ref float zs = ref {r.Z}[0];");
        if (g.SumsInNextBackward)
        {
            string added = g.SavedGradientIn is { } joined ? $" after the gradient from \"{joined.Name}\" was added to dY there" : string.Empty;
            w.Line($"// Formed per sample in group {i + 1}'s Conv2d backward as it wrote dY{added}: only added up here, in this pass's order.");
            w.Line($"TrainingPasses.FinishSums(_sumsPerSample{i}, n, {g.Channels}, {g.Spatial}, ref sumDu, ref sumDuXhat);");
        }
        else if (channel is not null)
        {
            w.Line($"TrainingPasses.{channel}, ref {dy}, ref zs, ref {r.GradU}[0], n, {g.Channels}, {g.Spatial},");
            w.Line("    ref scale, ref shift, ref mean, ref invStd, ref sumDu, ref sumDuXhat);");
        }
        else if (g.SavedGradientIn is { } saved)
        {
            w.Line($"// Where the paths meet: dY += the gradient sent back to \"{saved.Name}\", in place, then only the sums (the conv's backward");
            w.Line("// recomputes dU as dZ goes onto its grid).");
            w.Line($"TrainingPasses.AddBackwardSums(act, ref _gradSave{saved.Slot}[0], ref {dy}, ref zs, n, {g.Channels}, {g.Spatial}, ref scale, ref shift, ref mean, ref invStd,");
            w.Line("    ref sumDu, ref sumDuXhat);");
        }
        else if (g.DuRecomputed && TrainingNormFusion.PoolBackwardIn(m.Groups, g))
        {
            GroupPlan pool = m.Groups[i + 1];
            w.Line($"// dY is the pooled gradient: group {pool.Index}'s MaxPool2d backward runs here per sample, and again in the conv's backward.");
            w.Line($"TrainingPasses.PoolBackwardSums(act, ref {dy}, ref _argMax{pool.Index}[0], {StandaloneEmitter.Window(pool, g.TrainingPool!)}, ref zs, n, {g.Channels},");
            w.Line("    ref scale, ref shift, ref mean, ref invStd, ref sumDu, ref sumDuXhat);");
        }
        else if (g.DuRecomputed)
        {
            w.Line("// Only the sums: the conv's backward recomputes dU as dZ goes onto its grid.");
            w.Line($"TrainingPasses.BackwardSums(act, ref {dy}, ref zs, n, {g.Channels}, {g.Spatial}, ref scale, ref shift, ref mean, ref invStd, ref sumDu, ref sumDuXhat);");
        }
        else if (save is null)
        {
            w.Line($"TrainingPasses.BackwardReduce(act, ref {dy}, ref zs, ref {r.GradU}[0], n, {g.Channels}, {g.Spatial}, ref scale, ref shift, ref mean, ref invStd, ref sumDu, ref sumDuXhat);");
        }
        else
        {
            // The saved tensor's gradient written first here is stored, not added to a cleared buffer (the same bits).
            string first = TrainingNormFusion.SavedGradientStoredFirst(m.Groups, g.Branch!.Slot) ? "true, " : string.Empty;
            if (TrainingNormFusion.PoolBackwardIn(m.Groups, g))
            {
                GroupPlan pool = m.Groups[i + 1];
                w.Line($"// dY is the pooled gradient: group {pool.Index}'s MaxPool2d backward runs here per sample, its output never stored.");
                string du = r.GradU;
                if (TrainingNormFusion.DuInSavedGradient(m.Groups, g))
                {
                    w.Line($"// dU is stored once, as \"{g.Branch!.Name}\"'s gradient (0 + dU is dU here), and the conv reads it there.");
                    du = save;
                }

                string window = StandaloneEmitter.Window(pool, g.TrainingPool!), overwrite = first.Length > 0 ? "true" : "false";
                if (g.PooledSavedGradient)
                {
                    w.Line($"// ReLU' at the pool's output (> 0 exactly where u at the arg-max is): dU at the pooled size, stored once for the conv's");
                    w.Line($"// backward and \"{g.Branch!.Name}\"'s gradient, which form it per plane; u is not recomputed, the full-size dU never stored.");
                    w.Line($"TrainingPasses.PoolMaskBackwardSums(act, ref {dy}, ref _argMax{pool.Index}[0], {window}, ref {m.Buffers.Groups[pool.Index].Output}[0], ref _gradPool{i}[0],");
                    w.Line($"    ref zs, n, {g.Channels}, ref mean, ref invStd, ref sumDu, ref sumDuXhat);");
                }
                else if (g.SumRecomputed)
                {
                    GroupPlan residual = m.Groups[g.ResidualNormOf];
                    w.Line($"// u is recomputed per sample from z and group {residual.Index}'s z, as the forward computed it (not stored).");
                    w.Line($"TrainingPasses.PoolAddNormBackwardReduce(act, ref {dy}, ref _argMax{pool.Index}[0], {window}, {residual.Operator.New()}, ref {r.Residual}[0],");
                    w.Line($"    ref _scale{residual.Index}[0], ref _shift{residual.Index}[0], ref {save}[0], {overwrite},");
                }
                else
                {
                    w.Line($"TrainingPasses.PoolAddBackwardReduce(act, ref {dy}, ref _argMax{pool.Index}[0], {window}, ref {r.U}[0], ref {save}[0], {overwrite},");
                }

                if (!g.PooledSavedGradient)
                {
                    w.Line($"    ref zs, ref {du}[0], n, {g.Channels}, ref scale, ref shift, ref mean, ref invStd, ref sumDu, ref sumDuXhat);");
                }
            }
            else
            {
                w.Line($"TrainingPasses.AddBackwardReduce(act, ref {dy}, ref {r.U}[0], ref {save}[0], {first}ref zs, ref {r.GradU}[0], n, {g.Channels}, {g.Spatial}, ref scale, ref shift, ref mean, ref invStd, ref sumDu, ref sumDuXhat);");
            }
        }

        if (bn.Affine)
        {
            w.Line($"Norm.AddTo(_sumSq{i}, {Field(bn, "Weight")}.Grad);");
            w.Line($"Norm.AddTo(_sum{i}, {Field(bn, "Bias")}.Grad);");
        }
    }

    /// <summary>
    /// The add's gradient dU (after the activation's derivative) goes to the saved tensor's accumulator,
    /// through the projection's backward when there is one; BatchNorm's reductions then run on dU.
    /// </summary>
    private static void WriteAddBackward(CodeWriter w, PipelineModel m, GroupPlan g, GroupBuffers r, Pass pass)
    {
        int i = g.Index;
        BranchUse use = g.Branch!;
        SavePoint saved = m.Saves[use.Slot];
        if (pass.Has(StageKind.ActivationGradient) && use.ProjectionGroup < 0 && pass.Has(StageKind.NormReductions))
        {
            // One sweep, sample by sample: the derivative, the add to the saved tensor's gradient, the reductions.
            w.Line($"var act = {g.Operator.New()};");
            WriteNormReductions(w, m, g, r, "dy", $"_gradSave{use.Slot}");
            return;
        }

        w.Line("ref float du = ref dy;");

        if (pass.Has(StageKind.ActivationGradient))
        {
            w.Line($"TrainingPasses.Backward({g.Operator.New()}, ref dy, ref {r.U}[0], ref {r.GradU}[0], n, {g.OutLength});");
            w.Line($"du = ref {r.GradU}[0];");
        }

        if (use.ProjectionGroup >= 0)
        {
            string dx = m.Buffers.Groups[use.ProjectionGroup].InputGradient!;
            w.Line($"G{use.ProjectionGroup}_Backward(n, ref du, ref {dx}[0], true);");
            w.Line($"TrainingPasses.Add(ref {dx}[0], ref _gradSave{use.Slot}[0], n, {saved.Length});");
        }
        else
        {
            w.Line($"TrainingPasses.Add(ref du, ref _gradSave{use.Slot}[0], n, {saved.Length});");
        }

        if (pass.Has(StageKind.NormReductions))
        {
            w.Line("var act = default(IdentityOperator);");
            WriteNormReductions(w, m, g, r, "du");
        }
        else if (g.Op is not null)
        {
            w.Line("dz = ref du;");
        }
        else
        {
            w.Open("if (wantInput)");
            w.Line($"Norm.Copy(ref du, ref dx, n * {g.InLength});");
            w.Close();
        }
    }
}
