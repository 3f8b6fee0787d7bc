% rebase('base', title='NAPAKA')
<h1>PRIŠLO JE DO NAPAKE!!!</h1>
<p class="napaka" data-status="{{status}}">{{status}}: {{message}}</p>
<div class="back">
    <a class="zacetni" href="/end/">ZAČETNI MENI</a>
</div>
