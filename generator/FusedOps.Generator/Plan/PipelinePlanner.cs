using System.Collections.Generic;
using System.Linq;
using FusedOps.Generator.Diagnostics;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Plan;

/// <summary>
/// Stage 2: infers every layer's output shape, cuts the pipeline into fusion groups
/// (<c>[Conv2d|Linear] [BatchNorm] [activation]</c>, each part optional, Flatten free), cuts each
/// group into passes per mode (<see cref="FusionRules"/>) and plans the buffers (<see cref="BufferPlanner"/>).
/// </summary>
internal static partial class PipelinePlanner
{
    private const long MaxElements = int.MaxValue / 64;

    public static PipelineModel? Plan(string? ns, string typeName, EquatableArray<string> containing, string hintName, Shape input, List<Layer> layers, List<DiagnosticInfo> diagnostics)
    {
        var shapes = new List<Shape>();
        var branches = new BranchShapes(layers);
        Shape current = input;
        bool ok = true;
        foreach (Layer layer in layers)
        {
            Shape? next = layer is SaveLayer or AddLayer or ConcatLayer ? branches.Infer(layer, current, diagnostics) : Infer(layer, current, diagnostics);
            if (next is null)
            {
                ok = false;
                break;
            }

            if ((long)next.C * next.H * next.W > MaxElements)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerCannotTakeInput, layer.Location, layer.Index, layer.Name, current, $"its output {next} has more than {MaxElements} elements per sample"));
                ok = false;
                break;
            }

            if (layer is Conv2dLayer conv && !KernelLimits.Unrolled(conv.OutChannels / conv.Groups))
            {
                int perGroup = conv.OutChannels / conv.Groups;
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotUnrolled, layer.Location, layer.Index, perGroup, KernelLimits.BlockCount(perGroup, KernelLimits.MaxRows256)));
            }

            if (layer is BatchNormLayer && next.Spatial == 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.CannotTrain, layer.Location, layer.Index));
            }

            shapes.Add(next);
            current = next;
        }

        if (!ok)
        {
            return null;
        }

        // The emit model carries no locations: moving the declaration in its file must not re-run the emitter.
        var layersWithoutLocations = layers.Select(l => l.WithoutLocations());
        (List<GroupPlan> groups, List<GroupPlan> projections, List<SavePoint> saves) = Group(input, layers, shapes);
        ChannelFusion.Apply(groups, saves);
        PoolFusion.Apply(groups, saves);
        TrainingConv.Apply(groups, saves);
        TrainingNormFusion.Apply(groups, saves);
        return new PipelineModel(
            ns,
            typeName,
            containing,
            hintName,
            input,
            layersWithoutLocations.ToEquatableArray(),
            shapes.ToEquatableArray(),
            groups.ToEquatableArray(),
            projections.ToEquatableArray(),
            saves.ToEquatableArray(),
            BufferPlanner.Plan(input, groups, projections, saves));
    }

    private static Shape? Infer(Layer layer, Shape x, List<DiagnosticInfo> diagnostics)
    {
        switch (layer)
        {
            case LinearLayer linear:
                if (x.Rank != 1)
                {
                    return Reject(layer, x, "Linear needs rank-1 input; add [Flatten] before it", diagnostics);
                }

                if ((long)linear.OutFeatures * x.Length > MaxElements)
                {
                    return Reject(layer, x, $"its weight [{linear.OutFeatures}, {x.Length}] has more than {MaxElements} elements", diagnostics);
                }

                return Shape.Vector(linear.OutFeatures);
            case Conv2dLayer conv:
                return InferConv(conv, x, diagnostics);
            case FlattenLayer:
                return Shape.Vector(x.Length);
            case PoolLayer pool:
                return InferPool(pool, x, diagnostics);
            case SampleNormLayer norm:
                return CheckSampleNorm(norm, x, diagnostics);
            case MaxoutLayer maxout:
                return InferMaxout(maxout, x, diagnostics);
            case CosineLinearLayer cosine:
                return InferCosineLinear(cosine, x, diagnostics);
            case SwitchableNormLayer when x.Rank != 3:
                return Reject(layer, x, "SwitchableNorm needs (channels, height, width) input", diagnostics);
            case LocalResponseNormLayer when x.Rank != 3:
                return Reject(layer, x, "LocalResponseNorm needs (channels, height, width) input", diagnostics);
            case ChannelActivationLayer { Kind: ChannelActivationKind.PReLU } prelu when prelu.NumParameters != 1 && prelu.NumParameters != x.C:
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, prelu.NumParametersLocation ?? prelu.Location, prelu.Index, prelu.Name, "NumParameters", prelu.NumParameters, $"it must be 1 or the {x.C} channels"));
                return null;
            default:
                return x;
        }
    }

    private static Shape? InferConv(Conv2dLayer layer, Shape x, List<DiagnosticInfo> diagnostics)
    {
        if (x.Rank != 3)
        {
            return Reject(layer, x, "Conv2d needs (channels, height, width) input", diagnostics);
        }

        if (x.C % layer.Groups != 0 || layer.OutChannels % layer.Groups != 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, layer.GroupsLocation ?? layer.Location, layer.Index, layer.Name, "Groups", layer.Groups, $"it must divide both the input channels ({x.C}) and outChannels ({layer.OutChannels})"));
            return null;
        }

        long span = ((long)layer.Dilation * (layer.KernelSize - 1)) + 1;
        long oh = ((x.H + (2L * layer.Padding) - span) / layer.Stride) + 1;
        long ow = ((x.W + (2L * layer.Padding) - span) / layer.Stride) + 1;
        if (x.H + (2L * layer.Padding) < span || x.W + (2L * layer.Padding) < span || oh < 1 || ow < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ShapeVanishes, layer.Location, layer.Index, layer.Name, x, $"({layer.OutChannels}, {System.Math.Max(0, oh)}, {System.Math.Max(0, ow)})"));
            return null;
        }

        long k2 = (long)layer.KernelSize * layer.KernelSize;
        if ((x.H + (2L * layer.Padding)) * (x.W + (2L * layer.Padding)) * x.C > MaxElements || k2 * x.C > MaxElements
            || (long)layer.OutChannels * (x.C / layer.Groups) * k2 > MaxElements)
        {
            return Reject(layer, x, $"the padded input, the kernel or the weight [{layer.OutChannels}, {x.C / layer.Groups}, {layer.KernelSize}, {layer.KernelSize}] has more than {MaxElements} elements", diagnostics);
        }

        return Shape.Image(layer.OutChannels, (int)oh, (int)ow);
    }

    private static Shape? Reject(Layer layer, Shape x, string why, List<DiagnosticInfo> diagnostics)
    {
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerCannotTakeInput, layer.Location, layer.Index, layer.Name, x, why));
        return null;
    }

    /// <summary>
    /// Greedy grouping: an op takes a following BatchNorm, then an Add, then an activation; a BatchNorm or an
    /// Add without an op starts an elementwise group the same way. A Concat is a group of its own; a Save
    /// names the output of the group before it (or the input) and Flatten is free.
    /// </summary>
    private static (List<GroupPlan> Groups, List<GroupPlan> Projections, List<SavePoint> Saves) Group(Shape input, List<Layer> layers, List<Shape> shapes)
    {
        var groups = new List<GroupPlan>();
        var saves = new List<SavePoint>();
        var projections = new List<(int Group, Conv2dLayer Conv, BatchNormLayer Norm, Shape Input, Shape Output)>();
        int i = 0;
        while (i < layers.Count)
        {
            Shape groupInput = i == 0 ? input : shapes[i - 1];
            Layer layer = layers[i];
            if (layer is FlattenLayer)
            {
                i++;
                continue;
            }

            if (layer is StandaloneLayer standalone)
            {
                // Pooling, Dropout and the per-sample norms are groups of their own (a norm takes the activation after it).
                ActivationLayer? taken = standalone.TakesActivation && i + 1 < layers.Count ? layers[i + 1] as ActivationLayer : null;
                i += taken is null ? 1 : 2;
                groups.Add(CreateStandalone(groups.Count, standalone, taken, groupInput, shapes[i - 1]));
                continue;
            }

            if (layer is SaveLayer save)
            {
                saves.Add(new SavePoint(save.SavedName, saves.Count, groups.Count - 1, groupInput.Length));
                i++;
                continue;
            }

            if (layer is ConcatLayer concat)
            {
                i++;
                groups.Add(Create(groups.Count, concat, null, null, null, groupInput, shapes[i - 1]) with
                {
                    Join = concat.WithoutLocations(),
                    Branch = Use(saves, concat.SavedName),
                });
                continue;
            }

            Layer? op = null;
            BatchNormLayer? norm = null;
            AddLayer? add = null;
            ActivationLayer? act = null;
            if (layer is Conv2dLayer or LinearLayer)
            {
                op = layers[i++];
            }

            if (i < layers.Count && layers[i] is BatchNormLayer bn && (op is not null || layer is BatchNormLayer))
            {
                norm = bn;
                i++;
            }

            if (i < layers.Count && layers[i] is AddLayer a)
            {
                add = a;
                i++;
            }

            if (i < layers.Count && layers[i] is ActivationLayer f)
            {
                act = f;
                i++;
            }

            GroupPlan group = Create(groups.Count, op, norm, add, act, groupInput, shapes[i - 1]);
            if (add is not null)
            {
                BranchUse use = Use(saves, add.SavedName);
                group = group with { Join = add.WithoutLocations(), Branch = use };
                if (add.Projection)
                {
                    SavePoint saved = saves[use.Slot];
                    Shape from = saved.AfterGroup < 0 ? input : groups[saved.AfterGroup].Output;
                    Shape to = group.Output;
                    int stride = BranchShapes.ProjectionStride(from, to)!.Value;
                    string key = add.Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    var conv = new Conv2dLayer(add.Index, to.C, 1, stride, 0, 1, 1, false, null) { StateKey = key + ".proj" };
                    var pn = new BatchNormLayer(add.Index, 1e-5f, 0.1f, true, null) { StateKey = key + ".bn" };
                    projections.Add((groups.Count, conv, pn, from, to));
                }
            }

            groups.Add(group);
        }

        if (groups.Count == 0)
        {
            // Only Flatten: one identity group copies the input.
            groups.Add(Create(0, null, null, null, null, input, shapes[shapes.Count - 1]));
        }

        // Projection groups get the indices after the main groups, so every group has its own buffers and kernels.
        var planned = new List<GroupPlan>();
        foreach (var p in projections)
        {
            int index = groups.Count + planned.Count;
            planned.Add(Create(index, p.Conv, p.Norm, null, null, p.Input, p.Output) with { ProjectionOf = p.Group });
            GroupPlan owner = groups[p.Group];
            groups[p.Group] = owner with { Branch = owner.Branch! with { ProjectionGroup = index } };
        }

        return (groups, planned, saves);
    }

    private static BranchUse Use(List<SavePoint> saves, string name)
    {
        SavePoint saved = saves.Last(s => s.Name == name);
        return new BranchUse(name, saved.Slot, saved.AfterGroup, -1);
    }

    private static GroupPlan Create(int index, Layer? op, BatchNormLayer? norm, AddLayer? add, ActivationLayer? act, Shape input, Shape output)
    {
        AnchorKind anchor = op switch
        {
            Conv2dLayer => AnchorKind.Conv2d,
            LinearLayer => AnchorKind.Linear,
            ConcatLayer => AnchorKind.Concat,
            _ when add is null && norm is null && act is null => AnchorKind.Copy,
            _ => AnchorKind.Elementwise,
        };
        bool bias = op is LinearLayer { Bias: true } or Conv2dLayer { Bias: true };
        bool hasNorm = norm is not null, hasAdd = add is not null, hasAct = act is not null;
        ConvPlan? conv = op is Conv2dLayer c ? ConvPlan.Create(c, input, output) with { Residual = hasAdd } : null;
        return new GroupPlan(
            index,
            anchor,
            op is ConcatLayer ? null : op?.WithoutLocations(),
            (BatchNormLayer?)norm?.WithoutLocations(),
            (ActivationLayer?)act?.WithoutLocations(),
            ActivationTable.Operator(act),
            input,
            output,
            conv,
            FusionRules.Passes(Mode.Inference, anchor, bias, hasNorm, hasAdd, hasAct),
            FusionRules.Passes(Mode.TrainingForward, anchor, bias, hasNorm, hasAdd, hasAct),
            FusionRules.Passes(Mode.Backward, anchor, bias, hasNorm, hasAdd, hasAct));
    }
}
