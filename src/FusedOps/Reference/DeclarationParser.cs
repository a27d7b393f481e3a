using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using FusedOps.Catalog;

namespace FusedOps.Reference;

/// <summary>
/// Parses the C# attribute text that declares a pipeline, e.g.
/// <c>[FusedPipeline(2, 8, 8)] [Conv2d(4, 3, Stride = 2, Bias = false)] [BatchNorm] [ReLU]</c>:
/// attributes in brackets (several per bracket, comma separated, are allowed), an optional
/// <c>Attribute</c> suffix or namespace prefix, positional int or string (<c>"a"</c>) arguments,
/// then named int, float (<c>1e-5f</c>, <c>-0.5</c>, <c>2</c>) or bool arguments.
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

        return positional.ConvertAll(p => p.Kind == ArgumentType.Int
            ? p.IntValue
            : throw Error($"Argument 'inputShape' of 'FusedPipeline' is an int, got '{p.Text}'", at)).ToArray();
    }

    private LayerAttribute Build(string name, List<Literal> positional, List<(string Name, Literal Value)> named, int at)
    {
        AttributeSpec spec = LayerCatalog.Find(name)
            ?? throw Error($"Unknown attribute '{name}'. Known layers: {string.Join(", ", LayerCatalog.Names)}", at);
        if (positional.Count != spec.Positional.Length)
        {
            string expected = spec.Positional.Length == 0
                ? "no positional arguments"
                : $"({string.Join(", ", Array.ConvertAll(spec.Positional, p => p.Name))})";
            throw Error($"Attribute '{name}' takes {expected}, got {positional.Count} positional argument(s)", at);
        }

        var values = new Literal[positional.Count];
        for (int i = 0; i < values.Length; i++)
        {
            ArgumentFact parameter = spec.Positional[i];
            values[i] = positional[i].Kind == parameter.Type
                ? positional[i]
                : throw Error($"Argument '{parameter.Name}' of '{name}' is {KindName(parameter.Type)}, got '{positional[i].Text}'", at);
        }

        LayerAttribute attribute = spec.Create(values);
        foreach ((string argName, Literal value) in named)
        {
            ArgumentFact argument = Array.Find(spec.Named, n => n.Name == argName) ?? throw Error(
                $"Attribute '{name}' has no argument '{argName}'" + (spec.Named.Length == 0
                    ? string.Empty
                    : $"; it takes {string.Join(", ", Array.ConvertAll(spec.Named, n => n.Name))}"),
                at);
            bool fits = argument.Type == value.Kind || (argument.Type == ArgumentType.Float && value.Kind == ArgumentType.Int);
            if (!fits)
            {
                throw Error($"Argument '{argName}' of '{name}' is {KindName(argument.Type)}, got '{value.Text}'", at);
            }

            spec.Set(attribute, argument, value);
        }

        return attribute;
    }

    private static string KindName(ArgumentType kind) => kind switch
    {
        ArgumentType.Int => "an int",
        ArgumentType.Float => "a float",
        ArgumentType.String => "a string",
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
        if (Current == '"')
        {
            return ReadString();
        }

        if (char.IsLetter(Current))
        {
            string word = ReadIdentifier();
            return word switch
            {
                "true" => new Literal(ArgumentType.Bool, word, 0, 0, true, string.Empty),
                "false" => new Literal(ArgumentType.Bool, word, 0, 0, false, string.Empty),
                _ => throw Error($"Expected a number, a string, true or false, got '{word}'", start),
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
            return new Literal(ArgumentType.Int, text, i, i, false, string.Empty);
        }

        if (number.Length > 0 && float.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out float f))
        {
            return new Literal(ArgumentType.Float, text, 0, f, false, string.Empty);
        }

        throw Error($"Expected a number, a string, true or false, got {(text.Length > 0 ? $"'{text}'" : Describe(Current))}", start);
    }

    /// <summary>A regular C# string literal: <c>"..."</c> with the escapes \", \\, \n, \r, \t, \0 and \uXXXX.</summary>
    private Literal ReadString()
    {
        int start = _pos;
        _pos++;
        var value = new StringBuilder();
        while (Current != '"')
        {
            if (Current is '\0' or '\n')
            {
                throw Error("Unterminated string literal", start);
            }

            if (Current != '\\')
            {
                value.Append(Current);
                _pos++;
                continue;
            }

            _pos++;
            char escaped = Current;
            _pos++;
            if (escaped == 'u' && _pos + 4 <= _text.Length
                && int.TryParse(_text.AsSpan(_pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
            {
                value.Append((char)code);
                _pos += 4;
                continue;
            }

            value.Append(escaped switch
            {
                '"' => '"',
                '\\' => '\\',
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                '0' => '\0',
                _ => throw Error($"Unsupported escape sequence '\\{escaped}' in a string literal", start),
            });
        }

        _pos++;
        return new Literal(ArgumentType.String, _text[start.._pos], 0, 0, false, value.ToString());
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
