" Vim syntax file for permit0 policies (.p0). The scopes follow
" editors/p0.tmLanguage.json, the grammar VS Code uses.
if exists('b:current_syntax') | finish | endif

syn keyword p0Control      when then with
syn keyword p0Decision     allow escalate deny
syn keyword p0Keyword      amplify
syn keyword p0Declaration  policy let tool test action domain alias namespace compliance enum
syn keyword p0Operator     and or not has in contains contains_any contains_all starts_with ends_with
syn keyword p0Boolean      true false
syn keyword p0Type         bool int money string duration time list set contained
syn match   p0TypeAfter    /:\s*\zs\(bool\|int\|money\|string\|duration\|time\|list\|set\)\>/ contains=p0Type
syn match   p0Namespace    /\<\(actor\|context\|session\|risk\)\ze\s*\./
syn match   p0Risk         /\<risk\>\ze\s*{/
syn match   p0Function     /\<\(len\|count\|sum\|seen\|distinct\)\ze\s*(/
syn match   p0Flag         /\<[A-Z][A-Z0-9_]\+\>/
syn match   p0Duration     /\<[0-9][0-9_]*\(ms\|s\|m\|h\|d\|w\)\>/
syn match   p0Number       /\<[0-9][0-9_]*\>/
syn match   p0Action       /\(\<when\s\+\)\@<=[A-Za-z_*][A-Za-z0-9_.*]*/
syn match   p0SymOp        /==\|!=\|<=\|>=\|=>\|->\|[<>=|*?]/
syn match   p0Escape       /\\\([ntr\\"0]\|u{\x\{1,6}}\)/ contained
syn region  p0String       start=/"/ skip=/\\"/ end=/"\|$/ contains=p0Escape
syn match   p0Comment      /#.*$/ contains=@Spell

hi def link p0Control     Conditional
hi def link p0Decision    Keyword
hi def link p0Keyword     Keyword
hi def link p0Declaration Keyword
hi def link p0Operator    Operator
hi def link p0SymOp       Operator
hi def link p0Boolean     Boolean
hi def link p0Type        Type
hi def link p0Namespace   Identifier
hi def link p0Risk        Keyword
hi def link p0Function    Function
hi def link p0Flag        Constant
hi def link p0Duration    Number
hi def link p0Number      Number
hi def link p0Action      Function
hi def link p0String      String
hi def link p0Escape      SpecialChar
hi def link p0Comment     Comment

let b:current_syntax = 'p0'
