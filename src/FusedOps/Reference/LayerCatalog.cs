using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using FusedOps.Catalog;
using System.Linq;
using System.Text;

namespace FusedOps.Reference;

/// <summary>A literal argument as written in an attribute, e.g. <c>-3</c>, <c>1e-5f</c>, <c>false</c>, <c>"a"</c>.</summary>
internal readonly record struct Literal(ArgumentType Kind, string Text, int IntValue, float FloatValue, bool BoolValue, string StringValue)
{
    /// <summary>An int literal, printed as C# would.</summary>
    public static Literal Of(int value) => new(ArgumentType.Int, value.ToString(CultureInfo.InvariantCulture), value, value, false, string.Empty);

    /// <summary>A string literal, printed quoted and escaped as C# would.</summary>
    public static Literal Of(string value) => new(ArgumentType.String, Quote(value), 0, 0, false, value);

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

/// <summary>
/// One layer attribute type bound to its catalogue entry (<see cref="LayerFact"/>): its arguments are read
/// and written through the constructor parameter or property of the same name, so the names, types and
/// defaults are written only in <see cref="LayerFacts"/> and in the attribute class itself.
/// </summary>
internal sealed class AttributeSpec
{
    private const DynamicallyAccessedMemberTypes Members = DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicProperties;

    [DynamicallyAccessedMembers(Members)]
    private readonly Type _type;

    public AttributeSpec([DynamicallyAccessedMembers(Members)] Type type)
    {
        _type = type;
        string name = type.Name[..^"Attribute".Length];
        Fact = LayerFacts.Find(name) ?? throw new InvalidOperationException($"{type.Name} has no entry in LayerFacts.");
        Positional = Fact.Arguments.Where(a => a.Positional).ToArray();
        Named = Fact.Arguments.Where(a => !a.Positional).ToArray();
    }

    public LayerFact Fact { get; }

    public string Name => Fact.Name;

    public Type Type => _type;

    /// <summary>The constructor arguments, in parameter order.</summary>
    public ArgumentFact[] Positional { get; }

    /// <summary>The settable properties.</summary>
    public ArgumentFact[] Named { get; }

    /// <summary>A new attribute from its constructor arguments, each of its argument's type.</summary>
    public LayerAttribute Create(Literal[] positional)
    {
        object?[] values = Array.ConvertAll(positional, p => p.Kind == ArgumentType.String ? p.StringValue : (object)p.IntValue);
        return (LayerAttribute)_type.GetConstructors()[0].Invoke(values);
    }

    /// <summary>The value of <paramref name="argument"/> in <paramref name="attribute"/>: an int, a float, a bool or a string.</summary>
    public object? Get(LayerAttribute attribute, ArgumentFact argument) => Property(argument).GetValue(attribute);

    /// <summary>Sets the named argument <paramref name="argument"/> from <paramref name="value"/> (an int widens to a float).</summary>
    public void Set(LayerAttribute attribute, ArgumentFact argument, Literal value) =>
        Property(argument).SetValue(attribute, argument.Type switch
        {
            ArgumentType.Int => value.IntValue,
            ArgumentType.Float => value.FloatValue,
            ArgumentType.Bool => value.BoolValue,
            _ => (object)value.StringValue,
        });

    /// <summary>The value as a C# literal: <c>3</c>, <c>0.5f</c>, <c>true</c>, <c>"a"</c>.</summary>
    public string Format(LayerAttribute attribute, ArgumentFact argument) => Get(attribute, argument) switch
    {
        int i => i.ToString(CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture) + "f",
        bool b => b ? "true" : "false",
        object o => Literal.Quote(o.ToString() ?? string.Empty),
        null => Literal.Quote(string.Empty),
    };

    /// <summary>The property of an argument: <c>kernelSize</c> is <c>KernelSize</c>.</summary>
    private PropertyInfo Property(ArgumentFact argument) =>
        _type.GetProperty(char.ToUpperInvariant(argument.Name[0]) + argument.Name[1..])
        ?? throw new InvalidOperationException($"{_type.Name} has no property for the argument '{argument.Name}'.");
}

/// <summary>
/// Every layer attribute type, bound to its entry in <see cref="LayerFacts"/>. Used to parse declarations,
/// to check arguments against their ranges, and to print a layer the way it was declared.
/// </summary>
internal static class LayerCatalog
{
    private static readonly AttributeSpec[] s_specs =
    [
        new(typeof(LinearAttribute)), new(typeof(Conv2dAttribute)), new(typeof(BatchNormAttribute)), new(typeof(LayerNormAttribute)),
        new(typeof(GroupNormAttribute)), new(typeof(InstanceNormAttribute)), new(typeof(LocalResponseNormAttribute)),
        new(typeof(SwitchableNormAttribute)), new(typeof(FlattenAttribute)), new(typeof(MaxPool2dAttribute)), new(typeof(AvgPool2dAttribute)),
        new(typeof(GlobalAvgPool2dAttribute)), new(typeof(DropoutAttribute)), new(typeof(MaxoutAttribute)), new(typeof(SaveAttribute)),
        new(typeof(AddAttribute)), new(typeof(ConcatAttribute)), new(typeof(IdentityAttribute)), new(typeof(ReLUAttribute)),
        new(typeof(LeakyReLUAttribute)), new(typeof(PReLUAttribute)), new(typeof(RReLUAttribute)), new(typeof(ELUAttribute)),
        new(typeof(SELUAttribute)), new(typeof(GELUAttribute)), new(typeof(SigmoidAttribute)), new(typeof(TanhAttribute)),
        new(typeof(ArcTanAttribute)), new(typeof(SoftsignAttribute)), new(typeof(SiLUAttribute)), new(typeof(SwishAttribute)),
        new(typeof(MishAttribute)), new(typeof(SoftplusAttribute)), new(typeof(HardSigmoidAttribute)), new(typeof(HardSwishAttribute)),
        new(typeof(HardTanhAttribute)), new(typeof(IsruAttribute)), new(typeof(IsrluAttribute)), new(typeof(SquareNonlinearityAttribute)),
        new(typeof(BinaryStepAttribute)), new(typeof(BipolarReLUAttribute)),
    ];

    private static readonly Dictionary<string, AttributeSpec> s_byName = s_specs.ToDictionary(s => s.Name, StringComparer.Ordinal);
    private static readonly Dictionary<Type, AttributeSpec> s_byType = s_specs.ToDictionary(s => s.Type);

    /// <summary>Every attribute name, in the catalogue's order.</summary>
    public static IEnumerable<string> Names => LayerFacts.All.Select(f => f.Name).Where(s_byName.ContainsKey);

    /// <summary>Every bound attribute type (tests check the binding covers the catalogue).</summary>
    public static IReadOnlyList<AttributeSpec> Specs => s_specs;

    /// <summary>The attribute called <paramref name="name"/> (without the <c>Attribute</c> suffix), or null.</summary>
    public static AttributeSpec? Find(string name) => s_byName.GetValueOrDefault(name);

    /// <summary>The spec of <paramref name="attribute"/>'s type, or null for a type the catalogue does not know.</summary>
    public static AttributeSpec? Find(LayerAttribute attribute) => s_byType.GetValueOrDefault(attribute.GetType());

    /// <summary>
    /// The first argument of <paramref name="attribute"/> outside its catalogued range, as
    /// <c>Stride must be at least 1, got 0</c>, or null when every argument is in range.
    /// </summary>
    public static string? RangeProblem(LayerAttribute attribute)
    {
        if (Find(attribute) is not { } spec)
        {
            return null;
        }

        foreach (ArgumentFact argument in spec.Fact.Arguments)
        {
            double? value = spec.Get(attribute, argument) switch
            {
                int i => i,
                float f => f,
                _ => null,
            };
            if (value is { } v && LayerFacts.Violation(argument.Range, v) is { } rule)
            {
                return $"{argument.Name} {rule}, got {spec.Format(attribute, argument)}";
            }
        }

        return null;
    }

    /// <summary>
    /// The attribute as it would be declared, with only its non-default named arguments, e.g.
    /// <c>Conv2d(4, 3, Stride = 2, Bias = false)</c>. Unknown attribute types print their type name.
    /// </summary>
    public static string Describe(LayerAttribute attribute)
    {
        if (Find(attribute) is not { } spec)
        {
            return attribute.GetType().Name;
        }

        var parts = spec.Positional.Select(p => spec.Format(attribute, p)).ToList();
        LayerAttribute defaults = spec.Create(spec.Positional.Select(p => spec.Get(attribute, p) switch
        {
            int i => Literal.Of(i),
            string text => Literal.Of(text),
            _ => Literal.Of(string.Empty),
        }).ToArray());
        foreach (ArgumentFact named in spec.Named)
        {
            string value = spec.Format(attribute, named);
            if (value != spec.Format(defaults, named))
            {
                parts.Add($"{named.Name} = {value}");
            }
        }

        return parts.Count == 0 ? spec.Name : $"{spec.Name}({string.Join(", ", parts)})";
    }
}
