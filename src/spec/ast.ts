/**
 * The syntax tree of Flume's dataflow specification language:
 *
 *   spec        ::= (node)*
 *   node        ::= NodeId ':' source '|' sink ';'
 *   source      ::= call
 *   sink        ::= call                          simple sink, or a reference to a let-bound name
 *                 | '[' sink (',' sink)* ']'      fanout
 *                 | '{' call '=>' sink '}'        decorator (nests: { a => { b => c } } or { a => b => c })
 *                 | '{' sink '}'                  grouping
 *                 | '<' sink '?' sink '>'         failover (more alternatives chain to the right)
 *                 | 'roll' args sink              roll; `roll(ms) { sink }` is the common spelling
 *                 | 'let' Id ':=' sink 'in' sink
 *   call        ::= Id ( '(' (arg (',' arg)*)? ')' )?
 *   arg         ::= literal | Id '=' literal      keyword arguments come after positional ones
 *   literal     ::= "java string" | 'raw string' | int | float | true | false
 *
 * Every node carries the position (1-based line and column) where it starts, for error messages.
 */

export interface Pos {
  line: number;
  column: number;
  /** 0-based offset into the text. */
  offset: number;
}

export type Literal =
  | { kind: 'string'; value: string; pos: Pos }
  | { kind: 'int'; value: number; pos: Pos }
  | { kind: 'float'; value: number; pos: Pos }
  | { kind: 'bool'; value: boolean; pos: Pos };

export interface KeywordArg {
  name: string;
  value: Literal;
  pos: Pos;
}

export interface Call {
  name: string;
  args: Literal[];
  kwargs: KeywordArg[];
  /** Whether the call was written with parentheses (`console` vs `console()`); the printer keeps it. */
  parens: boolean;
  pos: Pos;
}

export type SinkNode =
  | { type: 'call'; call: Call; pos: Pos }
  | { type: 'ref'; name: string; pos: Pos }
  | { type: 'fanout'; children: SinkNode[]; pos: Pos }
  | { type: 'decorated'; decorator: Call; child: SinkNode; pos: Pos }
  | { type: 'failover'; primary: SinkNode; backup: SinkNode; pos: Pos }
  | { type: 'roll'; call: Call; child: SinkNode; pos: Pos }
  | { type: 'let'; name: string; value: SinkNode; body: SinkNode; pos: Pos };

export interface NodeSpec {
  name: string;
  source: Call;
  sink: SinkNode;
  pos: Pos;
}

export interface Spec {
  nodes: NodeSpec[];
}
