% ime = {'ksp': 'KŠP', 'kspov': 'KŠPOV'}[ruleset]
% rebase('base', title='ZGODOVINA ' + ime, odjava=True)
<div>
    <h2>ZGODOVINA IGER {{ime}} UPORABNIK: {{uporabnik}}</h2>
    % if igre:
    <ul id="igre">
        % for igra in igre:
        <li data-id="{{igra['id']}}">ID {{igra['id']}}: igralec - {{igra['igralec']}}, računalnik - {{igra['racunalnik']}}</li>
        % end
    </ul>
    % else:
    <p id="ni-iger">Ni še odigranih iger.</p>
    % end
    <div class="back">
        <a class="zacetni" href="/zgodovina_{{ruleset}}/xml/">XML</a>
        <a class="zacetni" href="/zgodovina_{{ruleset}}/json/">JSON</a>
        <button type="button" class="zacetni" data-brisi="/brisi_{{ruleset}}/">BRIŠI</button>
        <a class="zacetni" href="/{{ruleset}}/">NAZAJ</a>
    </div>
</div>
