// Package sim is the built-in simulated provider: it answers with text
// derived only from the model name and the request, after configurable
// latency, time to first token and pacing, and fails or hangs at configured
// rates. It powers offline mode, tests, benchmarks and outage simulations;
// it knows nothing of chains, categories or evals.
//
// # Text
//
// The text is a pure function of the model name and the request's system
// prompt, messages and JSON flag: the same pair gives byte-identical text on
// every run and machine. Temperature, top_p and seed do not change it;
// MaxTokens and Stop only cut it (see below). Different models give related
// text: the same key terms in different sentences and styles.
//
// The sim reads the last user message. When its first line ends with ":" and
// more follows ("Summarise this ticket in two sentences:\n<ticket>"), that
// line is instruction and the rest is content; otherwise the whole message
// is content. A JSON template found in the message (see JSON below) is
// removed from the content. From the content it takes key terms, in order of
// appearance, each once (case-insensitively):
//
//   - emails: maria@example.com
//   - numbers and IDs: any token with a digit (1182, ORD-77, 2024-03-01),
//     stripped of surrounding punctuation and symbols ("#4521" → 4521,
//     "$49.99" → 49.99)
//   - names: runs of capitalised words that do not start a sentence ("Maria
//     Lopez", and "Maria" in "Thanks,\nMaria"), or two or more that do
//   - words of four or more letters that are not stopwords (common English and
//     instruction words such as summarise, reply, classify, json); a single
//     capitalised word at a sentence start is restated in lower case ("Order
//     1182 ..." gives order)
//   - concept words the content implies without saying them: refund ("money
//     back", "reimburse", "chargeback", "charged twice"), shipping ("ship…",
//     "deliver…", "package", "parcel", "tracking", "courier", "never arrived"),
//     account ("password", "log in", "sign in", "locked out", "username"),
//     billing ("bill…", "invoice", "charged", "payment", "subscription"),
//     cancellation ("cancel…", "unsubscribe"); each comes right after its
//     first cue, unless a term already contains it ("refunded")
//
// A plain answer weaves the terms, split evenly and in order, into sentences
// whose templates are picked by hashing model and prompt. Its number of
// content sentences is the one the system prompt or instruction asks for
// ("in two sentences", "in 1 sentence", "a single sentence"; one to six),
// else the style's. Every term is used except that ordinary words are capped
// by the style (names, numbers, IDs, emails and concept words never are) and
// at most 24 terms are used; when there are fewer terms than sentences, the
// remaining sentences close without terms. When the system prompt or
// instruction says "reply to", "respond to", "response to", "write a reply",
// "write a response" or "draft", the answer is a reply: "Hi <first name>,"
// (or "Hello,"), a blank line, the sentences, of which the first content
// sentence contains "sorry" or "Sorry", a blank line and "Best regards". A
// reply does not restate names or emails.
//
// # Styles
//
// A model's style comes from its name, split into lower-case words at every
// character that is not a letter or digit ("gpt-4.1-mini" is gpt 4 1 mini):
//
//	words include           sentences  ordinary words  numbers and IDs
//	nano, lite or tiny      1          at most 3       left out everywhere
//	mini, haiku, flash,     2          at most 6       kept
//	or small (and none of
//	the above)
//	anything else           3          at most 10      kept
//
//	first word        effect
//	claude            a polite opener sentence comes first: "Certainly.",
//	                  "Happy to help." or "Sure, here you go." (in a reply,
//	                  "Thank you for reaching out." after the greeting)
//	gemini or gemma   words, names and concept words are restated in lower
//	                  case; numbers, IDs, emails and the greeting stay as written
//
// So gpt-4.1-mini, claude-3-5-haiku-latest and gemini-2.5-flash all keep
// "1182", while gpt-4.1-nano and gemini-2.5-flash-lite drop it: a chain
// whose second link is one of those fails a `contains: "1182"` assertion
// that its first link passes. A two-sentence limit (an assertion that
// counts sentences) fails on claude models, whose opener adds one.
// Styles never apply inside JSON except that numbers and IDs are left out
// where the style leaves them out.
//
// # JSON
//
// JSON mode is on when Request.JSON is set, or when the system prompt or last
// user message contains the word "JSON" and a template. The template is the
// first JSON-object-looking text in the system prompt, else in the last user
// message, read leniently (bare keys and values, single quotes, trailing
// commas, nesting). The answer is one JSON object with the template's keys
// in the template's order; each value is chosen by the first rule that
// applies, where "the key says x" means x is one of the words of the key
// (split at separators and camel-case humps: orderId and order_id are order
// id):
//
//  1. an object: filled by these rules; an array: [one filled object] if the
//     template shows an object, every option named or cued if it shows
//     options, else the emails, numbers/IDs or names the key asks for (as
//     below), else the key terms
//  2. options "true|false": true when a word of the key (four or more
//     letters) starts a word of the content or is a concept word whose cue
//     appears ("refund_requested" after "money back"), else false
//  3. options "a|b|c": the option, other than a catch-all, named earliest
//     in the content (as the start of a word); else the one whose cue appears earliest (refund,
//     shipping, account, billing, cancellation as above; high/urgent/critical:
//     "urgent", "asap", "immediately", "right away"; low: "not urgent", "no
//     rush", "whenever"; negative: "broken", "angry", "terrible",
//     "disappoint…"; positive: "thank…", "great", "love", "happy"; damaged:
//     "broken", "cracked", "defective"; technical/bug: "error", "crash", "not
//     working"); else a catch-all option (other, none, unknown, misc,
//     general, n/a, neutral, medium, normal, moderate); else one picked by
//     hashing model, prompt and key. A bare option that is a JSON literal is
//     written unquoted
//  4. the key says confidence, score, probability, certainty or likelihood:
//     a number from 0.50 to 0.99 fixed by model, prompt and key
//  5. the key says email or mail: the first email, else ""
//  6. the key says id, number, num, no, phone, code, ref, reference, sku,
//     zip, postcode, amount, total, price, quantity, qty or count: the first
//     number or ID, else ""; when the template value is a number, the first
//     numeric term as a JSON number, else 0
//  7. the key says name, customer, person, sender, contact, author or who:
//     the first name (its first word for a key that also says first or
//     given; its last for last, family or surname), else ""
//  8. a bare true or false: as rule 2
//  9. a bare number (or number, int, <number>): as rule 6
//  10. the key says summary, reason, reply, answer, text, response, message,
//     explanation, description, comment, note, draft, body, issue, problem
//     and the like: the plain answer, without the opener
//  11. otherwise: the key terms joined with ", "
//
// With no template the answer is {"answer": <plain answer>, "keywords":
// [<key terms>]}. JSON output is compact.
//
// # Length, usage and streams
//
// A Stop sequence ends the text where it first occurs. MaxTokens allows
// about four bytes a token: longer text is cut at the last whitespace before
// MaxTokens*4 bytes and the finish reason is length (so JSON cut short is
// invalid, as a real provider's would be); otherwise it is stop. Usage counts
// input tokens as the bytes of the system prompt and every message over four,
// output tokens as the text's bytes over four, rounded up, at least 1.
// Response.Model is the requested model; RequestID is "sim-" and a hash of
// the request. A Stream delivers the same text in word-ish chunks (each
// chunk's leading whitespace, then its word, split again past about 24
// bytes) that
// concatenate to it exactly.
//
// # Tools and JSON schemas
//
// With Tools offered, the sim calls one when the turn is the model's: the
// tool choice requires a call (required, or a named tool), or it is auto or
// unset and the last message is the user's (after tool results it answers in
// text). It calls the named tool, else the one whose name and description
// share the most words with the last user message (the first on a tie). The
// arguments fill every property of the tool's parameter schema from the
// message's key terms: a string takes what its property's name asks for, as
// in JSON templates (an id key a token with a digit, an email key an email,
// a name key a name, a reply or summary key a sentence), else names, then
// emails, concept and ordinary words; an enum takes the option the message mentions, else its first;
// numbers take the message's numbers (else 1); booleans are true. The call's
// id is call_sim_ and a hash of the prompt; a stream sends its id and name,
// then its arguments in two pieces. A json_schema ResponseFormat gets a value
// of the schema filled the same way, as the text. After a tool call, the
// results (the tool messages after the last user message) count as content
// too, so the answer draws on them.
//
// # Faults
//
// Each call draws a number in [0, 1) from a generator seeded with Seed and
// guarded by a mutex, so that the same seed gives the same sequence of
// outcomes for the same sequence of calls: below HangRate the call hangs
// until its context ends; in the next ErrorRate it fails with a *provider.Error of a class drawn from
// ErrorClasses, with the status, code and message a real provider would send
// (429 rate_limit_exceeded with a RetryAfter of 1–5 s, 529 overloaded_error,
// 500 server_error, 504 gateway_timeout, 401, 404, 400 ...). Errors come
// before any text: from Complete, or from Stream itself. A hung Stream
// returns, then blocks before its first chunk. A context that ends while the
// sim waits or hangs gives a *provider.Error of class cancelled or timeout.
// Requests with no model, no messages or a negative MaxTokens fail as
// invalid_request, as real providers reject them.
package sim
