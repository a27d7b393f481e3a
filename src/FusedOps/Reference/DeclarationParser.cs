using System;
using System.Collections.Generic;
using System.Globalization;

namespace FusedOps.Reference;

/// <summary>
/// Parses the C# attribute text that declares a pipeline, e.g.
/// <c>[FusedPipeline(2, 8, 8)] [Conv2d(4, 3, Stride = 2, Bias = false)] [BatchNorm] [ReLU]</c>:
/// attributes in brackets (several per bracket, comma separated, are allowed), an optional
/// <c>Attribute</c> suffix or namespace prefix, positional int arguments, then named int, float
/// (<c>1e-5f</c>, <c>-0.5</c>, <c>2</c>) or bool arguments.
/// </summary>
internal sealed class DeclarationParser
{
    private const string ParameterName = "declaration";
    private readonly string _text;
    private int _pos;

    private DeclarationParser(string text) => _text = text;

    /// <summary>The input shape and layers of <paramref name="declaration"/>.</summary>
    /// <exception cref="ArgumentException">The text is malformed, or names an unknown attribute or argument.</exception>
    public static (int[] InputShape, List<LayerAttribute> Layers) Parse(string declaration)
    {
        var parser = new DeclarationParser(declaration);
        int[]? inputShape = null;
        var layers = new List<LayerAttribute>();
        while (parser.Peek() != '\0')
        {
            parser.Expect('[');
            do
            {
                int at = parser._pos;
                string name = parser.ReadAttributeName();
                (List<Literal> positional, List<(string Name, Literal Value)> named) = parser.ReadArguments(name);
                if (name == "FusedPipeline")
                {
                    inputShape = inputShape is null
                        ? parser.PipelineShape(positional, named, at)
                        : throw parser.Error("[FusedPipeline] appears more than once", at);
                }
                else
                {
                    if (inputShape is null)
                    {
                        throw parser.Error($"[{name}] comes before [FusedPipeline(...)]; the declaration must start with the input shape", at);
                    }

                    layers.Add(parser.Build(name, positional, named, at));
                }
            }
            while (parser.TryConsume(','));
            parser.Expect(']');
        }

        return inputShape is null
            ? throw new ArgumentException("The declaration has no [FusedPipeline(...)] attribute giving the input shape.", ParameterName)
            : (inputShape, layers);
    }

    private int[] PipelineShape(List<Literal> positional, List<(string Name, Literal Value)> named, int at)
    {
        if (named.Count > 0)
        {
            throw Error($"FusedPipeline has no argument '{named[0].Name}'", at);
        }

        if (positional.Count == 0)
        {
            throw Error("FusedPipeline needs the per-sample input shape, e.g. [FusedPipeline(3, 32, 32)]", at);
        }

        return positional.ConvertAll(p => AsInt(p, "FusedPipeline", "inputShape", at)).ToArray();
    }

    private LayerAttribute Build(string name, List<Literal> positional, List<(string Name, Literal Value)> named, int at)
    {
        AttributeSpec spec = LayerCatalog.Find(name)
            ?? throw Error($"Unknown attribute '{name}'. Known layers: {string.Join(", ", LayerCatalog.Names)}", at);
        if (positional.Count != spec.PositionalNames.Length)
        {
            string expected = spec.PositionalNames.Length == 0 ? "no positional arguments" : $"({string.Join(", ", spec.PositionalNames)})";
            throw Error($"Attribute '{name}' takes {expected}, got {positional.Count} positional argument(s)", at);
        }

        var values = new int[positional.Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = AsInt(positional[i], name, spec.PositionalNames[i], at);
        }

        LayerAttribute attribute = spec.Create(values);
        foreach ((string argName, Literal value) in named)
        {
            NamedArgumentSpec argument = spec.FindNamed(argName) ?? throw Error(
                $"Attribute '{name}' has no argument '{argName}'" + (spec.Named.Length == 0
                    ? string.Empty
                    : $"; it takes {string.Join(", ", Array.ConvertAll(spec.Named, n => n.Name))}"),
                at);
            bool fits = argument.Kind == value.Kind || (argument.Kind == LiteralKind.Float && value.Kind == LiteralKind.Int);
            if (!fits)
            {
                throw Error($"Argument '{argName}' of '{name}' is {KindName(argument.Kind)}, got '{value.Text}'", at);
            }

            argument.Set(attribute, value);
        }

        return attribute;
    }

    private int AsInt(Literal literal, string attribute, string argument, int at) =>
        literal.Kind == LiteralKind.Int
            ? literal.IntValue
            : throw Error($"Argument '{argument}' of '{attribute}' is an int, got '{literal.Text}'", at);

    private static string KindName(LiteralKind kind) => kind switch
    {
        LiteralKind.Int => "an int",
        LiteralKind.Float => "a float",
        _ => "a bool",
    };

    private string ReadAttributeName()
    {
        // Accept FusedOps.Conv2d, global::FusedOps.Conv2dAttribute: the last segment names it.
        string name = ReadIdentifier();
        while (true)
        {
            SkipTrivia();
            if (_text.AsSpan(_pos).StartsWith("::", StringComparison.Ordinal))
            {
                _pos += 2;
            }
            else if (Peek() == '.')
            {
                _pos++;
            }
            else
            {
                break;
            }

            name = ReadIdentifier();
        }

        return name.Length > "Attribute".Length && name.EndsWith("Attribute", StringComparison.Ordinal)
            ? name[..^"Attribute".Length]
            : name;
    }

    private (List<Literal> Positional, List<(string Name, Literal Value)> Named) ReadArguments(string attribute)
    {
        var positional = new List<Literal>();
        var named = new List<(string, Literal)>();
        if (!TryConsume('('))
        {
            return (positional, named);
        }

        if (TryConsume(')'))
        {
            return (positional, named);
        }

        do
        {
            int at = _pos;
            SkipTrivia();
            if (char.IsLetter(Peek()) || Peek() == '_')
            {
                string word = ReadIdentifier();
                if (TryConsume('='))
                {
                    named.Add((word, ReadLiteral()));
                    continue;
                }

                _pos = at;
            }

            if (named.Count > 0)
            {
                throw Error($"Positional argument after a named argument in '{attribute}'", at);
            }

            positional.Add(ReadLiteral());
        }
        while (TryConsume(','));
        Expect(')');
        return (positional, named);
    }

    private Literal ReadLiteral()
    {
        SkipTrivia();
        int start = _pos;
        if (char.IsLetter(Current))
        {
            string word = ReadIdentifier();
            return word switch
            {
                "true" => new Literal(LiteralKind.Bool, word, 0, 0, true),
                "false" => new Literal(LiteralKind.Bool, word, 0, 0, false),
                _ => throw Error($"Expected a number, true or false, got '{word}'", start),
            };
        }

        if (Current is '-' or '+')
        {
            _pos++;
        }

        while (char.IsAsciiDigit(Current) || Current == '.'
            || ((Current is 'e' or 'E') && _pos > start)
            || ((Current is '-' or '+') && _text[_pos - 1] is 'e' or 'E'))
        {
            _pos++;
        }

        string number = _text[start.._pos];
        bool floatSuffix = Current is 'f' or 'F';
        if (floatSuffix)
        {
            _pos++;
        }

        string text = _text[start.._pos];
        bool isFloat = floatSuffix || number.AsSpan().IndexOfAny(".eE") >= 0;
        if (!isFloat && int.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int i))
        {
            return new Literal(LiteralKind.Int, text, i, i, false);
        }

        if (number.Length > 0 && float.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out float f))
        {
            return new Literal(LiteralKind.Float, text, 0, f, false);
        }

        throw Error($"Expected a number, true or false, got {(text.Length > 0 ? $"'{text}'" : Describe(Current))}", start);
    }

    private string ReadIdentifier()
    {
        SkipTrivia();
        int start = _pos;
        while (char.IsLetterOrDigit(Current) || Current == '_')
        {
            _pos++;
        }

        return _pos > start && !char.IsAsciiDigit(_text[start])
            ? _text[start.._pos]
            : throw Error($"Expected a name, got {Describe(Current)}", start);
    }

    /// <summary>The character at the cursor, without skipping whitespace; '\0' at the end.</summary>
    private char Current => _pos < _text.Length ? _text[_pos] : '\0';

    private static string Describe(char c) => c == '\0' ? "the end of the text" : $"'{c}'";

    private char Peek()
    {
        SkipTrivia();
        return _pos < _text.Length ? _text[_pos] : '\0';
    }

    private bool TryConsume(char c)
    {
        if (Peek() != c)
        {
            return false;
        }

        _pos++;
        return true;
    }

    private void Expect(char c)
    {
        if (!TryConsume(c))
        {
            throw Error($"Expected '{c}', got {Describe(Peek())}", _pos);
        }
    }

    private void SkipTrivia()
    {
        while (_pos < _text.Length)
        {
            if (char.IsWhiteSpace(_text[_pos]))
            {
                _pos++;
            }
            else if (_text.AsSpan(_pos).StartsWith("//", StringComparison.Ordinal))
            {
                while (_pos < _text.Length && _text[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else
            {
                break;
            }
        }
    }

    private ArgumentException Error(string message, int position)
    {
        int line = 1;
        for (int i = 0; i < Math.Min(position, _text.Length); i++)
        {
            line += _text[i] == '\n' ? 1 : 0;
        }

        return new ArgumentException($"{message} (line {line.ToString(CultureInfo.InvariantCulture)} of the declaration).", ParameterName);
    }
}
