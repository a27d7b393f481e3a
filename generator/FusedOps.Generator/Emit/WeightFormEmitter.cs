using System.Collections.Generic;
using System.Linq;
using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// The weight options of Linear and Conv2d (WeightNorm, SpectralNorm) and the state of the layers added with
/// them (CosineNorm's Linear, SwitchableNorm). A weight form keeps the layer's plain weight as a hidden tensor
/// <c>L{i}Weight</c> (not in Parameters): each training forward computes it from the form's parameters once,
/// the group's Conv2d/Linear kernels run on it unchanged, and after the group's backward its gradient is mapped
/// back to g and v, or through σ. Infer and Freeze compute it in eval mode (stored u and v for SpectralNorm),
/// and Freeze folds BatchNorm into it as into any weight.
/// </summary>
internal static class WeightFormEmitter
{
    /// <summary>The form of a layer's weight (plain for every other layer).</summary>
    public static WeightFormKind Form(Layer? layer) => layer switch
    {
        LinearLayer linear => linear.Form,
        Conv2dLayer conv => conv.Form,
        _ => WeightFormKind.Plain,
    };

    /// <summary>
    /// The tensors of a layer this emitter owns, in state-dict order, or null for any other layer. A weight
    /// form's hidden weight comes first (drawn first, as PyTorch's module does before the utility is applied).
    /// </summary>
    public static List<(string Field, string Name, string Shape, bool Grad, int Init)>? Tensors(Layer l, Shape input)
    {
        string i = l.StateKey;
        switch (l)
        {
            case CosineLinearLayer cosine:
                return new() { (Field(l, "Weight"), $"{i}.weight", $"{cosine.OutFeatures}, {input.Length}", true, input.Length) };
            case SwitchableNormLayer:
                string c = $"{input.C}";
                return new()
                {
                    (Field(l, "Weight"), $"{i}.weight", c, true, -1),
                    (Field(l, "Bias"), $"{i}.bias", c, true, 0),
                    (Field(l, "MeanWeight"), $"{i}.mean_weight", "3", true, -1),
                    (Field(l, "VarWeight"), $"{i}.var_weight", "3", true, -1),
                    (Field(l, "RunningMean"), $"{i}.running_mean", c, false, 0),
                    (Field(l, "RunningVar"), $"{i}.running_var", c, false, -1),
                };
        }

        WeightFormKind form = Form(l);
        if (form == WeightFormKind.Plain)
        {
            return null;
        }

        (int rows, int columns, string shape, bool bias) = Geometry(l, input);
        var tensors = new List<(string, string, string, bool, int)> { (Field(l, "Weight"), $"{i}.weight", shape, true, columns) };
        if (bias)
        {
            tensors.Add((Field(l, "Bias"), $"{i}.bias", $"{rows}", true, columns));
        }

        if (form == WeightFormKind.WeightNorm)
        {
            string ones = string.Concat(Enumerable.Repeat(", 1", shape.Count(ch => ch == ',')));
            tensors.Add((Field(l, "WeightG"), $"{i}.weight_g", $"{rows}{ones}", true, 0));
            tensors.Add((Field(l, "WeightV"), $"{i}.weight_v", shape, true, 0));
        }
        else
        {
            tensors.Add((Field(l, "WeightOrig"), $"{i}.weight_orig", shape, true, 0));
            tensors.Add((Field(l, "WeightU"), $"{i}.weight_u", $"{rows}", false, 0));
            tensors.Add((Field(l, "WeightV"), $"{i}.weight_v", $"{columns}", false, 0));
        }

        return tensors;
    }

    /// <summary>Whether <paramref name="field"/> is a weight form's hidden plain weight (kept out of Parameters).</summary>
    public static bool Hidden(PipelineModel m, string field) =>
        m.Layers.Any(l => Form(l) != WeightFormKind.Plain && Field(l, "Weight") == field);

    /// <summary>Constructor lines after <paramref name="field"/>: a form's own state from its drawn weight, after its last tensor.</summary>
    public static void Initialize(CodeWriter w, PipelineModel m, string field)
    {
        foreach (Layer l in m.Layers.Where(l => Form(l) != WeightFormKind.Plain && Field(l, "WeightV") == field))
        {
            string weight = Field(l, "Weight");
            if (Form(l) == WeightFormKind.WeightNorm)
            {
                w.Line($"// weight_norm applied to the fresh layer: v = the weight, g = its row norms.");
                w.Line($"WeightForms.InitWeightNorm({weight}.Data, {Field(l, "WeightG")}.Data, {Field(l, "WeightV")}.Data);");
            }
            else
            {
                w.Line($"// spectral_norm applied to the fresh layer: weight_orig = the weight, u and v random unit vectors.");
                w.Line($"{weight}.Data.CopyTo({Field(l, "WeightOrig")}.Data, 0);");
                w.Line($"rng.FillUnitVector({Field(l, "WeightU")}.Data);");
                w.Line($"rng.FillUnitVector({Field(l, "WeightV")}.Data);");
            }
        }
    }

    /// <summary>The header's lines on the weight forms: the passes over each weight that they add, per mode.</summary>
    public static void Header(CodeWriter w, PipelineModel m)
    {
        foreach (Layer l in m.Layers.Where(l => Form(l) != WeightFormKind.Plain))
        {
            string passes = Form(l) == WeightFormKind.WeightNorm
                ? "training forward 1 pass over the weight (w = g·v/|v|), backward 1 (to g and v)"
                : "training forward 3 passes over the weight (power iteration, sigma, w = W/sigma), backward 2 (<G, W>, then to weight_orig)";
            w.Line($"//   layer {l.Index} {Form(l)}: the group runs on the effective weight; {passes}; inference computes it once, Freeze() folds it.");
        }
    }

    /// <summary>Training fields: what the backward maps need from the forward.</summary>
    public static void TrainingFields(CodeWriter w, PipelineModel m)
    {
        foreach (GroupPlan g in m.Groups)
        {
            int rows = g.OpOut;
            switch (Form(g.Op))
            {
                case WeightFormKind.WeightNorm:
                    w.Line($"private readonly double[] _weightNorms{g.Op!.Index} = new double[{rows}];");
                    break;
                case WeightFormKind.SpectralNorm:
                    int i = g.Op!.Index;
                    w.Line($"private double _sigma{i};");
                    w.Line($"private readonly float[] _u{i} = new float[{rows}];");
                    w.Line($"private readonly float[] _v{i} = new float[{Geometry(g.Op, g.Input).Columns}];");
                    break;
            }
        }
    }

    /// <summary>Members of the training model: each form's eval-mode weight, for Infer and Freeze.</summary>
    public static void TrainingMembers(CodeWriter w, PipelineModel m)
    {
        foreach (GroupPlan g in m.Groups.Where(g => Form(g.Op) != WeightFormKind.Plain))
        {
            Layer l = g.Op!;
            (int rows, int columns, _, _) = Geometry(l, g.Input);
            string cache = $"_evalWeight{l.Index}";
            w.Line($"private readonly float[] {cache} = new float[{rows * columns}];");
            if (Form(l) == WeightFormKind.WeightNorm)
            {
                w.Line($"private readonly double[] _evalNorms{l.Index} = new double[{rows}];");
            }

            w.Line();
            w.Summary($"Layer {l.Index}'s weight in eval mode from the current parameters{(Form(l) == WeightFormKind.SpectralNorm ? " and the stored u, v" : string.Empty)}, "
                + "into one reused array (a new large array per Infer would cost more than the product); Freeze copies it. Concurrent calls write the same values.");
            w.Open($"internal float[] {Field(l, "EvalWeight")}()");
            w.Line(Form(l) == WeightFormKind.WeightNorm
                ? $"WeightForms.WeightNormForward({Field(l, "WeightG")}.Data, {Field(l, "WeightV")}.Data, {cache}, _evalNorms{l.Index});"
                : $"WeightForms.SpectralNormForward({Field(l, "WeightOrig")}.Data, {Field(l, "WeightU")}.Data, {Field(l, "WeightV")}.Data, {cache}, false);");
            w.Line($"return {cache};");
            w.Close();
            w.Line();
        }
    }

    /// <summary>Forward's checks before anything is written: SwitchableNorm's batch statistics need two values per channel.</summary>
    public static void Checks(CodeWriter w, PipelineModel m)
    {
        foreach (GroupPlan g in m.Groups.Where(g => g.Op is SwitchableNormLayer))
        {
            w.Line($"PipelineChecks.BatchNormValues({g.Op!.Index}, batchSize, {g.Input.Spatial});");
        }
    }

    /// <summary>Before the group's training forward: its effective weight, once (SpectralNorm's power iteration updates u and v).</summary>
    public static void BeforeForward(CodeWriter w, GroupPlan g)
    {
        Layer? l = g.Op;
        switch (Form(l))
        {
            case WeightFormKind.WeightNorm:
                w.Line($"WeightForms.WeightNormForward({Field(l!, "WeightG")}.Data, {Field(l!, "WeightV")}.Data, {Field(l!, "Weight")}.Data, _weightNorms{l!.Index});");
                break;
            case WeightFormKind.SpectralNorm:
                string u = Field(l!, "WeightU"), v = Field(l!, "WeightV");
                w.Line($"_sigma{l!.Index} = WeightForms.SpectralNormForward({Field(l, "WeightOrig")}.Data, {u}.Data, {v}.Data, {Field(l, "Weight")}.Data, true);");
                w.Line($"{u}.Data.CopyTo(_u{l.Index}, 0);");
                w.Line($"{v}.Data.CopyTo(_v{l.Index}, 0);");
                break;
        }
    }

    /// <summary>Before the group's backward: the effective weight's gradient starts at zero (the group's kernels add to it).</summary>
    public static void BeforeBackward(CodeWriter w, GroupPlan g)
    {
        if (Form(g.Op) != WeightFormKind.Plain)
        {
            w.Line($"Array.Clear({Field(g.Op!, "Weight")}.Grad);");
        }
    }

    /// <summary>After the group's backward: the effective weight's gradient mapped to the form's parameters (added, as every gradient).</summary>
    public static void AfterBackward(CodeWriter w, GroupPlan g)
    {
        Layer? l = g.Op;
        switch (Form(l))
        {
            case WeightFormKind.WeightNorm:
                string gp = Field(l!, "WeightG"), vp = Field(l!, "WeightV");
                w.Line($"WeightForms.WeightNormBackward({gp}.Data, {vp}.Data, _weightNorms{l!.Index}, {Field(l, "Weight")}.Grad, {gp}.Grad, {vp}.Grad);");
                break;
            case WeightFormKind.SpectralNorm:
                string orig = Field(l!, "WeightOrig");
                w.Line($"WeightForms.SpectralNormBackward({orig}.Data, _u{l!.Index}, _v{l.Index}, _sigma{l.Index}, {Field(l, "Weight")}.Grad, {orig}.Grad);");
                break;
        }
    }

    /// <summary>The inference model's weight of an op group: the plain weight, or a form's eval-mode weight.</summary>
    public static string InferenceWeight(GroupPlan g) =>
        Form(g.Op) == WeightFormKind.Plain ? $"model.{Field(g.Op!, "Weight")}.Data" : $"model.{Field(g.Op!, "EvalWeight")}()";

    /// <summary>Rows (output channels), columns (in·k·k), the weight's shape and whether there is a bias.</summary>
    private static (int Rows, int Columns, string Shape, bool Bias) Geometry(Layer l, Shape input) => l switch
    {
        Conv2dLayer conv => (conv.OutChannels, input.C / conv.Groups * conv.KernelSize * conv.KernelSize,
            $"{conv.OutChannels}, {input.C / conv.Groups}, {conv.KernelSize}, {conv.KernelSize}", conv.Bias),
        LinearLayer linear => (linear.OutFeatures, input.Length, $"{linear.OutFeatures}, {input.Length}", linear.Bias),
        _ => (0, 0, string.Empty, false),
    };

    private static string Field(Layer l, string tensor) => TrainingEmitter.Field(l, tensor);
}
