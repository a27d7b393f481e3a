using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace FusedOps.Reference;

/// <summary>The type of a literal in a declaration.</summary>
internal enum LiteralKind
{
    Int,
    Float,
    Bool,
    String,
}

/// <summary>A literal argument as written in an attribute, e.g. <c>-3</c>, <c>1e-5f</c>, <c>false</c>, <c>"a"</c>.</summary>
internal readonly record struct Literal(LiteralKind Kind, string Text, int IntValue, float FloatValue, bool BoolValue, string StringValue)
{
    /// <summary>An int literal, printed as C# would.</summary>
    public static Literal Of(int value) => new(LiteralKind.Int, value.ToString(CultureInfo.InvariantCulture), value, value, false, string.Empty);

    /// <summary>A string literal, printed quoted and escaped as C# would.</summary>
    public static Literal Of(string value) => new(LiteralKind.String, Quote(value), 0, 0, false, value);

    /// <summary>The C# regular string literal of <paramref name="value"/>.</summary>
    public static string Quote(string value)
    {
        var text = new StringBuilder("\"");
        foreach (char c in value)
        {
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return text.Append('"').ToString();
    }
}

/// <summary>A positional (constructor) argument: its parameter name and type.</summary>
internal sealed record PositionalSpec(string Name, LiteralKind Kind);

/// <summary>A named argument (attribute property): how to set it from a literal and how to print it.</summary>
internal sealed record NamedArgumentSpec(string Name, LiteralKind Kind, Func<LayerAttribute, string> Format, Action<LayerAttribute, Literal> Set);

/// <summary>One layer attribute: its name, positional arguments and named arguments.</summary>
internal sealed record AttributeSpec(
    string Name,
    Type Type,
    PositionalSpec[] Positional,
    Func<Literal[], LayerAttribute> Create,
    Func<LayerAttribute, Literal[]> Values,
    NamedArgumentSpec[] Named)
{
    public NamedArgumentSpec? FindNamed(string name) => Array.Find(Named, n => n.Name == name);
}

/// <summary>
/// Every layer attribute by name, written out as a table rather than discovered by reflection so
/// that the runtime stays trimming and AOT compatible. Used to parse declarations and to print
/// a layer the way it was declared.
/// </summary>
internal static class LayerCatalog
{
    private static readonly AttributeSpec[] s_specs =
    [
        Spec("Linear", "outFeatures", o => new LinearAttribute(o), a => a.OutFeatures,
            Bool<LinearAttribute>("Bias", a => a.Bias, (a, v) => a.Bias = v),
            Bool<LinearAttribute>("WeightNorm", a => a.WeightNorm, (a, v) => a.WeightNorm = v),
            Bool<LinearAttribute>("SpectralNorm", a => a.SpectralNorm, (a, v) => a.SpectralNorm = v),
            Bool<LinearAttribute>("CosineNorm", a => a.CosineNorm, (a, v) => a.CosineNorm = v)),
        Spec("Conv2d", "outChannels", "kernelSize", (o, k) => new Conv2dAttribute(o, k), a => a.OutChannels, a => a.KernelSize,
            Int<Conv2dAttribute>("Stride", a => a.Stride, (a, v) => a.Stride = v),
            Int<Conv2dAttribute>("Padding", a => a.Padding, (a, v) => a.Padding = v),
            Int<Conv2dAttribute>("Dilation", a => a.Dilation, (a, v) => a.Dilation = v),
            Int<Conv2dAttribute>("Groups", a => a.Groups, (a, v) => a.Groups = v),
            Bool<Conv2dAttribute>("Bias", a => a.Bias, (a, v) => a.Bias = v),
            Bool<Conv2dAttribute>("WeightNorm", a => a.WeightNorm, (a, v) => a.WeightNorm = v),
            Bool<Conv2dAttribute>("SpectralNorm", a => a.SpectralNorm, (a, v) => a.SpectralNorm = v)),
        Spec("BatchNorm", () => new BatchNormAttribute(),
            Float<BatchNormAttribute>("Epsilon", a => a.Epsilon, (a, v) => a.Epsilon = v),
            Float<BatchNormAttribute>("Momentum", a => a.Momentum, (a, v) => a.Momentum = v),
            Bool<BatchNormAttribute>("Affine", a => a.Affine, (a, v) => a.Affine = v)),
        Spec("LayerNorm", () => new LayerNormAttribute(),
            Float<LayerNormAttribute>("Epsilon", a => a.Epsilon, (a, v) => a.Epsilon = v),
            Bool<LayerNormAttribute>("Affine", a => a.Affine, (a, v) => a.Affine = v)),
        Spec("GroupNorm", "groups", g => new GroupNormAttribute(g), a => a.Groups,
            Float<GroupNormAttribute>("Epsilon", a => a.Epsilon, (a, v) => a.Epsilon = v),
            Bool<GroupNormAttribute>("Affine", a => a.Affine, (a, v) => a.Affine = v)),
        Spec("InstanceNorm", () => new InstanceNormAttribute(),
            Float<InstanceNormAttribute>("Epsilon", a => a.Epsilon, (a, v) => a.Epsilon = v),
            Bool<InstanceNormAttribute>("Affine", a => a.Affine, (a, v) => a.Affine = v)),
        Spec("LocalResponseNorm", "size", s => new LocalResponseNormAttribute(s), a => a.Size,
            Float<LocalResponseNormAttribute>("Alpha", a => a.Alpha, (a, v) => a.Alpha = v),
            Float<LocalResponseNormAttribute>("Beta", a => a.Beta, (a, v) => a.Beta = v),
            Float<LocalResponseNormAttribute>("K", a => a.K, (a, v) => a.K = v)),
        Spec("SwitchableNorm", () => new SwitchableNormAttribute(),
            Float<SwitchableNormAttribute>("Epsilon", a => a.Epsilon, (a, v) => a.Epsilon = v),
            Float<SwitchableNormAttribute>("Momentum", a => a.Momentum, (a, v) => a.Momentum = v)),
        Spec("Flatten", () => new FlattenAttribute()),
        Spec("MaxPool2d", "kernelSize", k => new MaxPool2dAttribute(k), a => a.KernelSize,
            Int<MaxPool2dAttribute>("Stride", a => a.Stride, (a, v) => a.Stride = v),
            Int<MaxPool2dAttribute>("Padding", a => a.Padding, (a, v) => a.Padding = v)),
        Spec("AvgPool2d", "kernelSize", k => new AvgPool2dAttribute(k), a => a.KernelSize,
            Int<AvgPool2dAttribute>("Stride", a => a.Stride, (a, v) => a.Stride = v),
            Int<AvgPool2dAttribute>("Padding", a => a.Padding, (a, v) => a.Padding = v)),
        Spec("GlobalAvgPool2d", () => new GlobalAvgPool2dAttribute()),
        Spec("Dropout", () => new DropoutAttribute(),
            Float<DropoutAttribute>("P", a => a.P, (a, v) => a.P = v)),
        Spec("Maxout", "pieces", p => new MaxoutAttribute(p), a => a.Pieces),
        Spec("Save", "name", n => new SaveAttribute(n), a => a.Name),
        Spec("Add", "name", n => new AddAttribute(n), a => a.Name,
            Bool<AddAttribute>("Projection", a => a.Projection, (a, v) => a.Projection = v)),
        Spec("Concat", "name", n => new ConcatAttribute(n), a => a.Name),
        Spec("Identity", () => new IdentityAttribute()),
        Spec("ReLU", () => new ReLUAttribute()),
        Spec("LeakyReLU", () => new LeakyReLUAttribute(),
            Float<LeakyReLUAttribute>("NegativeSlope", a => a.NegativeSlope, (a, v) => a.NegativeSlope = v)),
        Spec("PReLU", () => new PReLUAttribute(),
            Int<PReLUAttribute>("NumParameters", a => a.NumParameters, (a, v) => a.NumParameters = v),
            Float<PReLUAttribute>("Init", a => a.Init, (a, v) => a.Init = v)),
        Spec("RReLU", () => new RReLUAttribute(),
            Float<RReLUAttribute>("Lower", a => a.Lower, (a, v) => a.Lower = v),
            Float<RReLUAttribute>("Upper", a => a.Upper, (a, v) => a.Upper = v)),
        Spec("ELU", () => new ELUAttribute(),
            Float<ELUAttribute>("Alpha", a => a.Alpha, (a, v) => a.Alpha = v)),
        Spec("SELU", () => new SELUAttribute()),
        Spec("GELU", () => new GELUAttribute(),
            Bool<GELUAttribute>("Approximate", a => a.Approximate, (a, v) => a.Approximate = v)),
        Spec("Sigmoid", () => new SigmoidAttribute()),
        Spec("Tanh", () => new TanhAttribute()),
        Spec("ArcTan", () => new ArcTanAttribute()),
        Spec("Softsign", () => new SoftsignAttribute()),
        Spec("SiLU", () => new SiLUAttribute()),
        Spec("Swish", () => new SwishAttribute(),
            Float<SwishAttribute>("Beta", a => a.Beta, (a, v) => a.Beta = v)),
        Spec("Mish", () => new MishAttribute()),
        Spec("Softplus", () => new SoftplusAttribute(),
            Float<SoftplusAttribute>("Beta", a => a.Beta, (a, v) => a.Beta = v),
            Float<SoftplusAttribute>("Threshold", a => a.Threshold, (a, v) => a.Threshold = v)),
        Spec("HardSigmoid", () => new HardSigmoidAttribute()),
        Spec("HardSwish", () => new HardSwishAttribute()),
        Spec("HardTanh", () => new HardTanhAttribute(),
            Float<HardTanhAttribute>("Min", a => a.Min, (a, v) => a.Min = v),
            Float<HardTanhAttribute>("Max", a => a.Max, (a, v) => a.Max = v)),
        Spec("Isru", () => new IsruAttribute(),
            Float<IsruAttribute>("Alpha", a => a.Alpha, (a, v) => a.Alpha = v)),
        Spec("Isrlu", () => new IsrluAttribute(),
            Float<IsrluAttribute>("Alpha", a => a.Alpha, (a, v) => a.Alpha = v)),
        Spec("SquareNonlinearity", () => new SquareNonlinearityAttribute()),
        Spec("BinaryStep", () => new BinaryStepAttribute()),
        Spec("BipolarReLU", () => new BipolarReLUAttribute()),
    ];

    private static readonly Dictionary<string, AttributeSpec> s_byName = s_specs.ToDictionary(s => s.Name, StringComparer.Ordinal);
    private static readonly Dictionary<Type, AttributeSpec> s_byType = s_specs.ToDictionary(s => s.Type);

    /// <summary>Every attribute name, in table order.</summary>
    public static IEnumerable<string> Names => s_specs.Select(s => s.Name);

    /// <summary>The attribute called <paramref name="name"/> (without the <c>Attribute</c> suffix), or null.</summary>
    public static AttributeSpec? Find(string name) => s_byName.GetValueOrDefault(name);

    /// <summary>
    /// The attribute as it would be declared, with only its non-default named arguments, e.g.
    /// <c>Conv2d(4, 3, Stride = 2, Bias = false)</c>. Unknown attribute types print their type name.
    /// </summary>
    public static string Describe(LayerAttribute attribute)
    {
        if (!s_byType.TryGetValue(attribute.GetType(), out AttributeSpec? spec))
        {
            return attribute.GetType().Name;
        }

        Literal[] positional = spec.Values(attribute);
        LayerAttribute defaults = spec.Create(positional);
        var parts = positional.Select(p => p.Text).ToList();
        foreach (NamedArgumentSpec named in spec.Named)
        {
            string value = named.Format(attribute);
            if (value != named.Format(defaults))
            {
                parts.Add($"{named.Name} = {value}");
            }
        }

        return parts.Count == 0 ? spec.Name : $"{spec.Name}({string.Join(", ", parts)})";
    }

    private static AttributeSpec Spec<T>(string name, Func<T> create, params NamedArgumentSpec[] named)
        where T : LayerAttribute =>
        new(name, typeof(T), [], _ => create(), _ => [], named);

    private static AttributeSpec Spec<T>(string name, string p0, Func<int, T> create, Func<T, int> get0, params NamedArgumentSpec[] named)
        where T : LayerAttribute =>
        new(name, typeof(T), [new(p0, LiteralKind.Int)], p => create(p[0].IntValue), a => [Literal.Of(get0((T)a))], named);

    private static AttributeSpec Spec<T>(string name, string p0, Func<string, T> create, Func<T, string> get0, params NamedArgumentSpec[] named)
        where T : LayerAttribute =>
        new(name, typeof(T), [new(p0, LiteralKind.String)], p => create(p[0].StringValue), a => [Literal.Of(get0((T)a) ?? string.Empty)], named);

    private static AttributeSpec Spec<T>(string name, string p0, string p1, Func<int, int, T> create, Func<T, int> get0, Func<T, int> get1, params NamedArgumentSpec[] named)
        where T : LayerAttribute =>
        new(name, typeof(T), [new(p0, LiteralKind.Int), new(p1, LiteralKind.Int)], p => create(p[0].IntValue, p[1].IntValue), a => [Literal.Of(get0((T)a)), Literal.Of(get1((T)a))], named);

    private static NamedArgumentSpec Int<T>(string name, Func<T, int> get, Action<T, int> set)
        where T : LayerAttribute =>
        new(name, LiteralKind.Int, a => get((T)a).ToString(CultureInfo.InvariantCulture), (a, v) => set((T)a, v.IntValue));

    private static NamedArgumentSpec Float<T>(string name, Func<T, float> get, Action<T, float> set)
        where T : LayerAttribute =>
        new(name, LiteralKind.Float, a => get((T)a).ToString("R", CultureInfo.InvariantCulture) + "f", (a, v) => set((T)a, v.FloatValue));

    private static NamedArgumentSpec Bool<T>(string name, Func<T, bool> get, Action<T, bool> set)
        where T : LayerAttribute =>
        new(name, LiteralKind.Bool, a => get((T)a) ? "true" : "false", (a, v) => set((T)a, v.BoolValue));
}
