" permit0 policies
autocmd BufRead,BufNewFile *.p0 setfiletype p0
