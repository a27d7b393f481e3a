using System.Collections.Generic;
using System.Linq;
using FusedOps.Catalog;
using FusedOps.Generator.Diagnostics;
using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FusedOps.Generator.Parse;

/// <summary>
/// Turns one layer attribute into its <see cref="Layer"/> record, reporting out-of-range arguments on the
/// argument as written (<c>Padding = -1</c>, or the positional <c>0</c>), else on the whole attribute.
/// </summary>
internal static partial class LayerReader
{
    public static Layer Read(int index, AttributeData attribute, AttributeSyntax? syntax, List<DiagnosticInfo> diagnostics)
    {
        LocationInfo? location = LocationInfo.From(syntax);
        string className = attribute.AttributeClass?.Name ?? "?";
        string name = className.EndsWith(WellKnownNames.AttributeSuffix, System.StringComparison.Ordinal)
            ? className.Substring(0, className.Length - WellKnownNames.AttributeSuffix.Length)
            : className;
        LayerFact? fact = LayerFacts.Find(name);
        if (fact is null)
        {
            // A LayerAttribute the catalogue does not know (a newer runtime than this generator).
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotYetSupported, location, index, name));
            return new UnsupportedLayer(index, name, location);
        }

        var ctor = attribute.ConstructorArguments.Select(a => a.Value).ToArray();
        var named = attribute.NamedArguments.ToDictionary(a => a.Key, a => a.Value.Value);
        var reader = new Reader(index, fact, ctor, location, syntax, attribute.AttributeConstructor, diagnostics, named);

        WeightFormKind weightForm = name is "Linear" or "Conv2d" ? ReadWeightForm(index, name, reader, location, diagnostics) : WeightFormKind.Plain;
        if (ReadCosineLinear(index, name, reader, location) is { } cosine)
        {
            return cosine;
        }

        switch (name)
        {
            case "Linear":
                return new LinearLayer(index, reader.Int("outFeatures"), reader.Bool("Bias"), location) { Form = weightForm };
            case "Conv2d":
                return new Conv2dLayer(
                    index,
                    reader.Int("outChannels"),
                    reader.Int("kernelSize"),
                    reader.Int("Stride"),
                    reader.Int("Padding"),
                    reader.Int("Dilation"),
                    reader.Int("Groups"),
                    reader.Bool("Bias"),
                    location)
                {
                    // The planner checks that Groups divides the input channels, which only it knows.
                    GroupsLocation = reader.LocationOf("Groups"),
                    Form = weightForm,
                };
            case "BatchNorm":
                return new BatchNormLayer(index, reader.Float("Epsilon"), reader.Float("Momentum"), reader.Bool("Affine"), location);
            case "Flatten":
                return new FlattenLayer(index, location);
            case "Save":
                return new SaveLayer(index, reader.String("name"), location);
            case "Add":
                return new AddLayer(index, reader.String("name"), reader.Bool("Projection"), location);
            case "Concat":
                return new ConcatLayer(index, reader.String("name"), location);
            default:
                if (ReadStandalone(index, name, reader, location) is { } standalone)
                {
                    return standalone;
                }

                if (ActivationTable.TryGet(name, out _))
                {
                    // The operator struct takes the float arguments in the catalogue's order.
                    var args = fact.Arguments.Where(a => a.Type == ArgumentType.Float).Select(a => reader.Float(a.Name)).ToArray();
                    if (name == "HardTanh" && args[0] >= args[1])
                    {
                        // Min is blamed when written; HardTanh(Max = -2f) is wrong because of its Max.
                        LocationInfo? where = Argument(syntax, attribute.AttributeConstructor, "Min") is { } min ? LocationInfo.From(min)
                            : Argument(syntax, attribute.AttributeConstructor, "Max") is { } max ? LocationInfo.From(max)
                            : location;
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, where, index, name, "Min", Format(args[0]), $"it must be below Max ({Format(args[1])})"));
                    }

                    string form = name == "GELU" && reader.Bool("Approximate") ? ActivationTable.GeluTanh : name;
                    return new ActivationLayer(index, form, new EquatableArray<float>(args), location);
                }

                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotYetSupported, location, index, name));
                return new UnsupportedLayer(index, name, location);
        }
    }

    internal static string Format(float value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The argument of <paramref name="syntax"/> that sets <paramref name="name"/>: a property (<c>Padding = -1</c>),
    /// a named constructor argument (<c>kernelSize: 0</c>) or a positional one matched to the constructor's parameter.
    /// </summary>
    private static AttributeArgumentSyntax? Argument(AttributeSyntax? syntax, IMethodSymbol? constructor, string name)
    {
        if (syntax?.ArgumentList is not { } list)
        {
            return null;
        }

        int position = 0;
        foreach (AttributeArgumentSyntax argument in list.Arguments)
        {
            if (argument.NameEquals is { } equals)
            {
                if (equals.Name.Identifier.ValueText == name)
                {
                    return argument;
                }
            }
            else
            {
                // A constructor argument named out of order (kernelSize: 3, outChannels: 8) matches by
                // name; an unnamed one, or one named in its own position, by position.
                string? parameter = argument.NameColon?.Name.Identifier.ValueText
                    ?? (constructor is not null && position < constructor.Parameters.Length ? constructor.Parameters[position].Name : null);
                if (parameter == name)
                {
                    return argument;
                }

                position++;
            }
        }

        return null;
    }

    /// <summary>
    /// Reads one attribute's arguments by their catalogue names: a constructor argument by its position
    /// among the positional ones, a property as written or else its default; every number read is checked
    /// against its range (FOPS0005 on the argument as written, else on the attribute). Read each argument once.
    /// </summary>
    private sealed class Reader
    {
        private readonly int _index;
        private readonly LayerFact _fact;
        private readonly object?[] _ctor;
        private readonly LocationInfo? _location;
        private readonly AttributeSyntax? _syntax;
        private readonly IMethodSymbol? _constructor;
        private readonly List<DiagnosticInfo> _diagnostics;
        private readonly Dictionary<string, object?> _named;

        public Reader(int index, LayerFact fact, object?[] ctor, LocationInfo? location, AttributeSyntax? syntax, IMethodSymbol? constructor, List<DiagnosticInfo> diagnostics, Dictionary<string, object?> named)
        {
            _index = index;
            _fact = fact;
            _ctor = ctor;
            _location = location;
            _syntax = syntax;
            _constructor = constructor;
            _diagnostics = diagnostics;
            _named = named;
        }

        /// <summary>Where <paramref name="name"/> is written, or null when it is left at its default.</summary>
        public LocationInfo? LocationOf(string name) => LocationInfo.From(Argument(_syntax, _constructor, name));

        public int Int(string name)
        {
            ArgumentFact argument = _fact[name];
            int value = Raw(argument) is int i ? i : DefaultInt(argument);
            Check(argument, value, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return value;
        }

        public float Float(string name)
        {
            ArgumentFact argument = _fact[name];
            float value = Raw(argument) is float f ? f : argument.FloatDefault;
            Check(argument, value, Format(value));
            return value;
        }

        /// <summary>A flag; one the layer does not have (Conv2d's CosineNorm) reads as false.</summary>
        public bool Bool(string name) => _fact.Find(name) is { } argument && (Raw(argument) is bool b ? b : argument.BoolDefault);

        /// <summary>A branch name as written; null becomes empty, which the planner reports as an unknown name.</summary>
        public string String(string name) => Raw(_fact[name]) as string ?? string.Empty;

        /// <summary>Reports the float <paramref name="name"/> = <paramref name="value"/> as out of range for <paramref name="rule"/>.</summary>
        public void ReportFloat(string name, float value, string rule) => Report(name, Format(value), rule);

        /// <summary>Reports <paramref name="name"/> = <paramref name="value"/> as out of range for <paramref name="rule"/>.</summary>
        public void Report(string name, int value, string rule) => Report(name, value.ToString(System.Globalization.CultureInfo.InvariantCulture), rule);

        private object? Raw(ArgumentFact argument)
        {
            if (!argument.Positional)
            {
                return _named.TryGetValue(argument.Name, out object? v) ? v : null;
            }

            int position = 0;
            foreach (ArgumentFact other in _fact.Arguments)
            {
                if (other == argument)
                {
                    break;
                }

                position += other.Positional ? 1 : 0;
            }

            return position < _ctor.Length ? _ctor[position] : null;
        }

        /// <summary>The default; one taken from another argument (pooling's Stride) falls back to the plain default when that one is out of range, so it is reported once.</summary>
        private int DefaultInt(ArgumentFact argument) =>
            argument.DefaultFrom is { } from && Raw(_fact[from]) is int other && LayerFacts.Violation(argument.Range, other) is null ? other : argument.IntDefault;

        private void Check(ArgumentFact argument, double value, string text)
        {
            if (LayerFacts.Violation(argument.Range, value) is { } rule)
            {
                Report(argument.Name, text, "it " + rule);
            }
        }

        private void Report(string name, string value, string rule) =>
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, LocationOf(name) ?? _location, _index, _fact.Name, name, value, rule));
    }
}
